namespace Poppy.Portal.Core.Features.Access;

/// <summary>
/// An operation its actor may not perform. The REST API answers it with 403 and the message; pages show "Not allowed".
/// </summary>
public sealed class AccessDeniedException(string message) : Exception(message)
{
    /// <summary>One answer for "no such project" and "not yours", so other tenants' names and ids cannot be probed.</summary>
    public static AccessDeniedException Project(string project) =>
        new($"Project '{project}' does not exist or you are not a member of it.");
}
