using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Poppy.Portal.Core.Features.Services;

namespace Poppy.Portal.Core.Features.Provisioning;

/// <summary>What a change asks of one provider.</summary>
public enum OperationKind { Create, Update, Delete, Purge }

/// <summary>Where an operation is. Queued, Running and Retrying are pending: a provisioning job still owes them work.</summary>
public enum OperationState
{
    Queued,
    Running,
    /// <summary>The last attempt failed transiently; the next starts at <see cref="ProvisioningOperation.NextAttemptAt"/>.</summary>
    Retrying,
    Succeeded,
    Failed,
    /// <summary>A later change (a delete, or an administrator's status override) made this one moot.</summary>
    Cancelled,
    /// <summary>
    /// An administrator gave up on a failed removal that could not succeed (the vendor refuses the account's
    /// credentials, say): the portal counts the provider as removed without the vendor having confirmed it.
    /// </summary>
    Abandoned,
}

/// <summary>What a running operation is doing right now, shown live on the service page.</summary>
public enum OperationStep
{
    Waiting,
    Applying,
    /// <summary>The vendor accepted the change and is rolling it out (CloudFront, Akamai): polled, not re-applied.</summary>
    Deploying,
    Removing,
    Purging,
    Done,
}

/// <summary>
/// One change of one service at one provider account: the unit provisioning works on, retries and reports. Every
/// change of a service queues one per provider, in the same transaction as the desired state, so no request is lost
/// between saving it and the job that carries it out. Its state changes only through its own methods (Start, Poll,
/// Succeed, Fail, RetryAt, Cancel, Requeue, Abandon), so every path through provisioning leaves it consistent.
/// </summary>
public sealed class ProvisioningOperation
{
    public long Id { get; set; }

    public Guid ServiceId { get; set; }

    public Guid ProjectId { get; set; }

    /// <summary>The service's name when the change was made, for the jobs page.</summary>
    public string ServiceName { get; set; } = "";

    public Guid ProviderAccountId { get; set; }

    public string ProviderName { get; set; } = "";

    public OperationKind Kind { get; set; }

    /// <summary>The <see cref="ServicePurge"/> this operation carries out, for purges.</summary>
    public long? PurgeId { get; set; }
    public ServicePurge? Purge { get; set; }

    public OperationState State { get; private set; }

    public OperationStep Step { get; private set; }

    /// <summary>Tries at the vendor so far, retries included; asking a vendor how its rollout goes is not a try.</summary>
    public int Attempts { get; private set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? StartedAt { get; private set; }

    public DateTimeOffset UpdatedAt { get; private set; }

    public DateTimeOffset? FinishedAt { get; private set; }

    /// <summary>When a Retrying or Deploying operation is due again.</summary>
    public DateTimeOffset? NextAttemptAt { get; private set; }

    /// <summary>
    /// Why the operation is not done yet (the vendor's message for the last transient failure), or why it ended without
    /// success; cleared when it succeeds.
    /// </summary>
    public string? LastError { get; private set; }

    public string? ProviderServiceId { get; private set; }

    /// <summary>JSON list of settings the vendor cannot express.</summary>
    public string? Warnings { get; private set; }

    public bool IsPending => State is OperationState.Queued or OperationState.Running or OperationState.Retrying;

    /// <summary>The longest error kept (the column's size).</summary>
    public const int MaxErrorLength = 4000;

    /// <summary>
    /// A run takes the operation up: it is running from now, at <paramref name="step"/>; a rollout being polled stays
    /// at <see cref="OperationStep.Deploying"/>.
    /// </summary>
    public void Start(OperationStep step, DateTimeOffset now)
    {
        State = OperationState.Running;
        StartedAt ??= now;
        NextAttemptAt = null;
        if (Step is not OperationStep.Deploying)
        {
            Step = step;
        }
        UpdatedAt = now;
    }

    /// <summary>Adds tries made at the vendor (a driver call and the retries of its requests).</summary>
    public void CountAttempts(int attempts)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(attempts);
        Attempts += attempts;
    }

    /// <summary>What the vendor answered: its id for the service, and the settings it cannot express.</summary>
    public void Record(string providerServiceId, IReadOnlyList<string> warnings, DateTimeOffset now)
    {
        ProviderServiceId = providerServiceId;
        Warnings = warnings.Count > 0 ? JsonSerializer.Serialize(warnings) : null;
        UpdatedAt = now;
    }

    /// <summary>The vendor accepted the change and is still rolling it out (or removing it): ask again at <paramref name="at"/>.</summary>
    public void Poll(OperationStep step, DateTimeOffset at, DateTimeOffset now)
    {
        Step = step;
        NextAttemptAt = at;
        UpdatedAt = now;
    }

    /// <summary>Done at the vendor; an error met on the way no longer describes the operation.</summary>
    public void Succeed(DateTimeOffset now)
    {
        State = OperationState.Succeeded;
        Step = OperationStep.Done;
        NextAttemptAt = null;
        LastError = null;
        FinishedAt = UpdatedAt = now;
    }

    /// <summary>Failed for good (until someone retries it), with the reason shown to the user.</summary>
    public void Fail(string error, DateTimeOffset now)
    {
        State = OperationState.Failed;
        Step = OperationStep.Done;
        NextAttemptAt = null;
        LastError = Truncate(error);
        FinishedAt = UpdatedAt = now;
    }

    /// <summary>Failed transiently: tried again at <paramref name="at"/>.</summary>
    public void RetryAt(DateTimeOffset at, string error, DateTimeOffset now)
    {
        State = OperationState.Retrying;
        NextAttemptAt = at;
        LastError = Truncate(error);
        UpdatedAt = now;
    }

    /// <summary>Made moot by a later change, or by an administrator: nothing more is done, for <paramref name="reason"/>.</summary>
    public void Cancel(string reason, DateTimeOffset now)
    {
        State = OperationState.Cancelled;
        Step = OperationStep.Done;
        NextAttemptAt = null;
        LastError = Truncate(reason);
        FinishedAt = UpdatedAt = now;
    }

    /// <summary>
    /// A failed operation queued again by a user (who fixed the credentials, say), with a fresh budget of attempts.
    /// The old error stays until the next attempt succeeds or fails.
    /// </summary>
    public void Requeue(DateTimeOffset now)
    {
        if (State != OperationState.Failed)
        {
            throw new InvalidOperationException($"Only a failed operation can be queued again; this one is {State}.");
        }
        State = OperationState.Queued;
        Step = OperationStep.Waiting;
        Attempts = 0;
        NextAttemptAt = null;
        FinishedAt = null;
        UpdatedAt = now;
    }

    /// <summary>An administrator gave up on this failed removal: counted as done without the vendor, for <paramref name="reason"/>.</summary>
    public void Abandon(string reason, DateTimeOffset now)
    {
        if (State != OperationState.Failed)
        {
            throw new InvalidOperationException($"Only a failed operation can be abandoned; this one is {State}.");
        }
        State = OperationState.Abandoned;
        Step = OperationStep.Done;
        NextAttemptAt = null;
        LastError = Truncate(reason);
        FinishedAt = UpdatedAt = now;
    }

    private static string Truncate(string message) => message.Length <= MaxErrorLength ? message : message[..(MaxErrorLength - 3)] + "...";

    /// <summary>The provider status while a configuration change of <paramref name="kind"/> is under way.</summary>
    public static ProviderStatus InProgressStatus(OperationKind kind) => kind switch
    {
        OperationKind.Create => ProviderStatus.DeployInProgress,
        OperationKind.Delete => ProviderStatus.DeleteInProgress,
        _ => ProviderStatus.UpdateInProgress,
    };

    public static IReadOnlyList<OperationState> PendingStates { get; } = [OperationState.Queued, OperationState.Running, OperationState.Retrying];

    /// <summary>
    /// Queues one operation of <paramref name="kind"/> for each of <paramref name="providers"/>, to be saved with the
    /// change that asks for it.
    /// </summary>
    public static IEnumerable<ProvisioningOperation> For(CdnService service, OperationKind kind, IEnumerable<ServiceProviderState> providers,
        DateTimeOffset now, ServicePurge? purge = null) =>
        providers.Select(p => new ProvisioningOperation
        {
            ServiceId = service.Id,
            ProjectId = service.ProjectId,
            ServiceName = service.Name,
            ProviderAccountId = p.ProviderAccountId,
            ProviderName = p.ProviderName,
            Kind = kind,
            Purge = purge,
            State = OperationState.Queued,
            Step = OperationStep.Waiting,
            ProviderServiceId = p.ProviderServiceId,
            CreatedAt = now,
            UpdatedAt = now,
        }).ToList();
}

internal sealed class ProvisioningOperationConfiguration : IEntityTypeConfiguration<ProvisioningOperation>
{
    public void Configure(EntityTypeBuilder<ProvisioningOperation> operation)
    {
        operation.ToTable("ProvisioningOperations");
        operation.Property(o => o.ServiceName).HasMaxLength(256);
        operation.Property(o => o.ProviderName).HasMaxLength(64);
        operation.Property(o => o.Kind).HasConversion<string>().HasMaxLength(16);
        operation.Property(o => o.State).HasConversion<string>().HasMaxLength(16);
        operation.Property(o => o.Step).HasConversion<string>().HasMaxLength(16);
        operation.Property(o => o.LastError).HasMaxLength(4000);
        operation.Property(o => o.ProviderServiceId).HasMaxLength(256);
        operation.Ignore(o => o.IsPending);
        operation.HasOne<CdnService>().WithMany().HasForeignKey(o => o.ServiceId).HasPrincipalKey(s => s.Id).OnDelete(DeleteBehavior.Cascade);
        operation.HasOne(o => o.Purge).WithMany().HasForeignKey(o => o.PurgeId).OnDelete(DeleteBehavior.Cascade);
        operation.HasIndex(o => new { o.ServiceId, o.Id });
        operation.HasIndex(o => o.PurgeId);
        // The jobs page and the recovery sweep look for pending and failed operations.
        operation.HasIndex(o => new { o.State, o.Id });
    }
}
