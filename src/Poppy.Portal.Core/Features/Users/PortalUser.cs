using Microsoft.AspNetCore.Identity;

namespace Poppy.Portal.Core.Features.Users;

/// <summary>A person who signs in to the portal. Accounts are created by administrators only.</summary>
public sealed class PortalUser : IdentityUser
{
    public string DisplayName { get; set; } = "";

    /// <summary>A disabled account cannot sign in; its sessions are rejected at the next security-stamp check.</summary>
    public bool IsDisabled { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public List<Projects.ProjectMembership> Memberships { get; set; } = [];
}
