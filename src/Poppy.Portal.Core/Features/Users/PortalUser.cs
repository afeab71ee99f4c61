using Microsoft.AspNetCore.Identity;

namespace Poppy.Portal.Core.Features.Users;

/// <summary>A person who signs in to the portal. Accounts are created by administrators only.</summary>
public sealed class PortalUser : IdentityUser
{
    public string DisplayName { get; set; } = "";

    /// <summary>A disabled account cannot sign in; its sessions are rejected at the next security-stamp check.</summary>
    public bool IsDisabled { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>The project the user last worked in (the portal's project switcher); null: their first one.</summary>
    public Guid? CurrentProjectId { get; set; }

    /// <summary>The portal's colour scheme for this user: "light", "dark", or null to follow the browser.</summary>
    public string? ColorScheme { get; set; }

    public List<Projects.ProjectMembership> Memberships { get; set; } = [];
}
