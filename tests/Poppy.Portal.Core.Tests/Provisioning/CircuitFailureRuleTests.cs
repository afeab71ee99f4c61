using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Provisioning;
using Poppy.Portal.TestSupport;

namespace Poppy.Portal.Core.Tests.Provisioning;

/// <summary>What counts against the circuit that every tenant on a provider account shares.</summary>
public sealed class CircuitFailureRuleTests
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(30);
    private readonly ManualClock clock = new();
    private readonly Guid one = Guid.NewGuid();
    private readonly Guid two = Guid.NewGuid();

    private CircuitFailureRule Rule() => new(Window, clock);

    [Theory]
    [InlineData(VendorAnswerKind.Success)]
    [InlineData(VendorAnswerKind.Throttled)]
    [InlineData(VendorAnswerKind.Refused)]
    public void Answers_of_a_vendor_that_is_up_never_count(VendorAnswerKind kind)
    {
        var rule = Rule();
        Assert.False(rule.Counts(kind, one));
        Assert.False(rule.Counts(kind, two));
        Assert.False(rule.Counts(kind, null));
    }

    [Fact]
    public void A_vendor_that_is_down_counts_whatever_the_request_was_for()
    {
        var rule = Rule();
        Assert.True(rule.Counts(VendorAnswerKind.Unavailable, one));
        Assert.True(rule.Counts(VendorAnswerKind.Unavailable, one));
        Assert.True(rule.Counts(VendorAnswerKind.Unavailable, null));
    }

    [Fact]
    public void Server_errors_of_one_service_alone_never_count()
    {
        var rule = Rule();
        for (var i = 0; i < 100; i++)
        {
            Assert.False(rule.Counts(VendorAnswerKind.ServerError, one));
            clock.Advance(TimeSpan.FromSeconds(1));
        }
    }

    [Fact]
    public void Server_errors_count_once_a_second_service_meets_them_within_the_window()
    {
        var rule = Rule();
        Assert.False(rule.Counts(VendorAnswerKind.ServerError, one));
        clock.Advance(TimeSpan.FromSeconds(10));

        Assert.True(rule.Counts(VendorAnswerKind.ServerError, two));
        Assert.True(rule.Counts(VendorAnswerKind.ServerError, one));
    }

    [Fact]
    public void A_server_error_of_another_service_outside_the_window_is_forgotten()
    {
        var rule = Rule();
        Assert.False(rule.Counts(VendorAnswerKind.ServerError, one));
        clock.Advance(Window);

        Assert.False(rule.Counts(VendorAnswerKind.ServerError, two));
    }

    [Fact]
    public void An_account_level_server_error_counts_and_makes_a_services_count_too()
    {
        var rule = Rule();
        Assert.True(rule.Counts(VendorAnswerKind.ServerError, null));
        Assert.True(rule.Counts(VendorAnswerKind.ServerError, one));
    }
}
