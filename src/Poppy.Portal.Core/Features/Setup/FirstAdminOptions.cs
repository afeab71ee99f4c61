using Poppy.Portal.Core.Configuration;

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

    /// <summary>
    /// E-mail and password are not checked: they matter only while no administrator exists, and an operator may leave
    /// one of them set after the first start (the initializer warns when it needs them and they are missing).
    /// </summary>
    public static void Check(FirstAdminOptions o, SettingChecks check) => check
        .NotBlank(nameof(DisplayName), o.DisplayName)
        .NotBlank(nameof(Project), o.Project);
}
