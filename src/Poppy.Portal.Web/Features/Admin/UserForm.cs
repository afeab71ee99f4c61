using System.ComponentModel.DataAnnotations;
using Poppy.Portal.Core.Features.Users;

namespace Poppy.Portal.Web.Features.Admin;

/// <summary>
/// What the new-user form holds. It lives as long as the page, so a refused submit (a validation message, or a password
/// the identity rules reject) keeps every choice, the selected projects included.
/// </summary>
public sealed class NewUserForm
{
    [Required(ErrorMessage = "Enter an email address.")]
    [EmailAddress(ErrorMessage = "Enter a valid email address.")]
    public string Email { get; set; } = "";

    [Required(ErrorMessage = "Enter the person's name.")]
    [StringLength(200, ErrorMessage = "The name has at most 200 characters.")]
    public string DisplayName { get; set; } = "";

    public string Role { get; set; } = PortalRoles.Viewer;

    public IReadOnlyCollection<Guid> ProjectIds { get; set; } = [];

    [Required(ErrorMessage = "Choose an initial password.")]
    public string Password { get; set; } = "";
}
