namespace Poppy.Portal.Core.Features.Setup;

/// <summary>
/// The account created when the database has no administrator yet. Bound from <c>Portal:FirstAdmin</c>;
/// in Production set it through the environment (<c>Portal__FirstAdmin__Email</c>, <c>Portal__FirstAdmin__Password</c>).
/// There is deliberately no default password.
/// </summary>
public sealed class FirstAdminOptions
{
    public const string Section = "Portal:FirstAdmin";

    public string? Email { get; set; }
    public string? Password { get; set; }
    public string DisplayName { get; set; } = "Administrator";

    /// <summary>A first project the administrator is put in, so the portal has a tenant to work in.</summary>
    public string Project { get; set; } = "default";
}
