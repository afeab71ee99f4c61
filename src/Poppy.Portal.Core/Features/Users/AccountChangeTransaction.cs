using Poppy.Portal.Core.Data;

namespace Poppy.Portal.Core.Features.Users;

/// <summary>
/// Identity's UserManager saves after every call, so one account change is several SaveChanges. Running them in one
/// transaction makes the change and its audit entry all-or-nothing. On failure the change tracker is cleared as well:
/// it would still hold rows the rollback removed, and the pending audit entry, which a later SaveChanges would store.
/// </summary>
internal static class AccountChangeTransaction
{
    public static async Task<T> RunAsync<T>(PortalDbContext db, Func<Task<T>> change, Func<T, bool> succeeded, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        try
        {
            var result = await change();
            if (succeeded(result))
            {
                await transaction.CommitAsync(cancellationToken);
                return result;
            }
            await transaction.RollbackAsync(CancellationToken.None);
            db.ChangeTracker.Clear();
            return result;
        }
        catch
        {
            // Disposing the transaction rolls it back.
            db.ChangeTracker.Clear();
            throw;
        }
    }

    public static Task<Result> RunAsync(PortalDbContext db, Func<Task<Result>> change, CancellationToken cancellationToken) =>
        RunAsync(db, change, result => result.Succeeded, cancellationToken);
}
