using Poppy.Portal.Core.Features.Provisioning;
using Poppy.Portal.Core.Features.Services;

namespace Poppy.Portal.Core.Tests.Features;

/// <summary>The state changes a provisioning operation makes itself, and the ones it refuses.</summary>
public sealed class ProvisioningOperationTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 4, 13, 0, 0, TimeSpan.Zero);

    private static ProvisioningOperation Queued(OperationKind kind = OperationKind.Create)
    {
        var service = new CdnService { Id = Guid.NewGuid(), ProjectId = Guid.NewGuid(), Name = "shop" };
        return ProvisioningOperation.For(service, kind, [new ServiceProviderState { ProviderAccountId = Guid.NewGuid(), ProviderName = "fastly" }], T0).Single();
    }

    [Fact]
    public void A_rollout_is_polled_at_its_step_and_a_success_after_a_transient_error_clears_it()
    {
        var operation = Queued();
        operation.Start(OperationStep.Applying, T0);
        operation.CountAttempts(1);
        operation.RetryAt(T0.AddSeconds(5), "HTTP 503", T0.AddSeconds(1));
        Assert.Equal((OperationState.Retrying, "HTTP 503", T0.AddSeconds(5)), (operation.State, operation.LastError, operation.NextAttemptAt));

        operation.Start(OperationStep.Applying, T0.AddSeconds(5));
        operation.CountAttempts(1);
        operation.Record("svc-1", ["no TLS"], T0.AddSeconds(6));
        operation.Poll(OperationStep.Deploying, T0.AddSeconds(7), T0.AddSeconds(6));
        // A run that takes it up again keeps it at Deploying: it asks how the rollout goes, it does not apply again.
        operation.Start(OperationStep.Applying, T0.AddSeconds(7));
        Assert.Equal((OperationState.Running, OperationStep.Deploying, T0), (operation.State, operation.Step, operation.StartedAt!.Value));

        operation.Succeed(T0.AddSeconds(8));
        Assert.Equal((OperationState.Succeeded, OperationStep.Done, 2), (operation.State, operation.Step, operation.Attempts));
        Assert.Null(operation.LastError);
        Assert.Null(operation.NextAttemptAt);
        Assert.Equal(("svc-1", """["no TLS"]"""), (operation.ProviderServiceId, operation.Warnings));
    }

    [Fact]
    public void Only_a_failed_operation_is_queued_again_with_a_fresh_budget_or_abandoned()
    {
        var operation = Queued(OperationKind.Delete);
        Assert.Throws<InvalidOperationException>(() => operation.Requeue(T0));
        Assert.Throws<InvalidOperationException>(() => operation.Abandon("gone", T0));

        operation.Start(OperationStep.Removing, T0);
        operation.CountAttempts(3);
        operation.Fail("401 Unauthorized", T0.AddSeconds(1));
        operation.Requeue(T0.AddSeconds(2));
        Assert.Equal((OperationState.Queued, OperationStep.Waiting, 0, "401 Unauthorized"), (operation.State, operation.Step, operation.Attempts, operation.LastError));
        Assert.Null(operation.FinishedAt);

        operation.Start(OperationStep.Removing, T0.AddSeconds(3));
        operation.Fail("401 Unauthorized", T0.AddSeconds(4));
        operation.Abandon("Account closed", T0.AddSeconds(5));
        Assert.Equal((OperationState.Abandoned, OperationStep.Done, "Account closed", T0.AddSeconds(5)),
            (operation.State, operation.Step, operation.LastError, operation.FinishedAt!.Value));
        Assert.False(operation.IsPending);
    }

    [Fact]
    public void Errors_longer_than_the_column_are_cut_and_a_cancel_says_why()
    {
        var operation = Queued();
        operation.Fail(new string('x', 5000), T0);
        Assert.Equal(ProvisioningOperation.MaxErrorLength, operation.LastError!.Length);
        Assert.EndsWith("...", operation.LastError);

        var cancelled = Queued();
        cancelled.Cancel("Superseded by a later change.", T0);
        Assert.Equal((OperationState.Cancelled, "Superseded by a later change.", T0), (cancelled.State, cancelled.LastError, cancelled.FinishedAt!.Value));
    }
}
