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
/// between saving it and the job that carries it out.
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

    public OperationState State { get; set; }

    public OperationStep Step { get; set; }

    /// <summary>Vendor calls made so far, retries included.</summary>
    public int Attempts { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>When a Retrying or Deploying operation is due again.</summary>
    public DateTimeOffset? NextAttemptAt { get; set; }

    /// <summary>The vendor's message for the last failure (kept after a success that followed retries).</summary>
    public string? LastError { get; set; }

    public string? ProviderServiceId { get; set; }

    /// <summary>JSON list of settings the vendor cannot express.</summary>
    public string? Warnings { get; set; }

    public bool IsPending => State is OperationState.Queued or OperationState.Running or OperationState.Retrying;

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
