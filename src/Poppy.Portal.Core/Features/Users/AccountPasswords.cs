using Microsoft.AspNetCore.Identity;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Audit;

namespace Poppy.Portal.Core.Features.Users;

/// <summary>
/// A person changing their own password, or setting a new one with a mailed reset link. Both are audited without
/// before/after: there is nothing in a password change that may be shown.
/// </summary>
public sealed class AccountPasswords(UserManager<PortalUser> users, PortalDbContext db, AccessPolicy access, AuditLog auditLog)
{
    /// <summary>The signed-in user's own password, proven by the current one.</summary>
    public Task<IdentityResult> ChangeAsync(PortalUser user, string currentPassword, string newPassword, CancellationToken cancellationToken)
    {
        access.RequireSelf(user.Id);
        return AccountChangeTransaction.RunAsync(db, () =>
        {
            // Recorded first, so the SaveChanges that stores the new hash stores the entry too.
            auditLog.Record(null, AuditEntityTypes.User, user.Id, "change-password", $"{user.Email} changed their password");
            return users.ChangePasswordAsync(user, currentPassword, newPassword);
        }, result => result.Succeeded, cancellationToken);
    }

    /// <summary>Sets a new password with a reset token; the actor is the account's owner, who is not signed in.</summary>
    public Task<IdentityResult> ResetAsync(PortalUser user, string token, string newPassword, CancellationToken cancellationToken) =>
        AccountChangeTransaction.RunAsync(db, () =>
        {
            var entry = auditLog.Record(null, AuditEntityTypes.User, user.Id, "reset-password", $"{user.Email} set a new password with a reset link");
            entry.ActorId = user.Id;
            entry.ActorName = user.Email ?? user.UserName ?? user.Id;
            return users.ResetPasswordAsync(user, token, newPassword);
        }, result => result.Succeeded, cancellationToken);
}
