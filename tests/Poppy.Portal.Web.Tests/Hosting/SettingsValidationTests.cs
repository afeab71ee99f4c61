using Microsoft.Extensions.Options;

namespace Poppy.Portal.Web.Tests.Hosting;

/// <summary>Every options section is checked when the host starts: a bad value stops it with a message naming the key.</summary>
public sealed class SettingsValidationTests : PortalTest
{
    [Theory]
    [InlineData("Portal:Provisioning:CircuitBreaker:FailureRatio", "1.5")]
    [InlineData("Portal:Provisioning:CircuitBreaker:FailureRatio", "0")]
    [InlineData("Portal:Provisioning:CircuitBreaker:MinimumThroughput", "1")]
    [InlineData("Portal:Provisioning:CircuitBreaker:BreakDuration", "00:00:00.100")]
    [InlineData("Portal:Provisioning:AttemptTimeout", "-00:00:05")]
    [InlineData("Portal:Provisioning:RetryMaxDelay", "-00:00:01")]
    [InlineData("Portal:Provisioning:RescheduleDelay", "00:00:00")]
    [InlineData("Portal:Provisioning:RetriesPerRun", "-1")]
    [InlineData("Portal:Provisioning:MaxAttempts", "0")]
    [InlineData("Portal:Provisioning:ConnectionTestTimeout", "00:00:00")]
    [InlineData("Portal:Provisioning:Limits:MaxConcurrentRequests", "0")]
    [InlineData("Portal:Provisioning:Limits:RequestsPerSecond", "0")]
    [InlineData("Portal:Jobs:MaxConcurrency", "0")]
    [InlineData("Portal:NativeHeapTrim:Interval", "-00:00:01")]
    [InlineData("Portal:Services:SharedSslShards", "0")]
    [InlineData("Portal:Services:DefaultServiceLimit", "-1")]
    [InlineData("Portal:Services:SharedSslDomainSuffix", "not a domain")]
    [InlineData("Portal:Simulators:Port", "70000")]
    [InlineData("Portal:Simulators:DeployDelay", "-00:00:01")]
    [InlineData("Portal:Simulators:ExternalUrl", "127.0.0.1:5091")]
    [InlineData("Portal:FirstAdmin:Project", " ")]
    [InlineData("Mail:From", "not an address")]
    public void A_bad_setting_stops_the_host_with_a_message_naming_its_key(string key, string value)
    {
        Portal.Settings[key] = value;

        var error = Assert.ThrowsAny<Exception>(() => Portal.CreateClient());

        var validation = Assert.IsType<OptionsValidationException>(Unwrap(error));
        var failure = Assert.Single(validation.Failures);
        Assert.StartsWith($"{key} must be ", failure, StringComparison.Ordinal);
        Assert.Contains(value.Trim(), failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Several_bad_settings_are_all_named()
    {
        Portal.Settings["Portal:Provisioning:CircuitBreaker:FailureRatio"] = "2";
        Portal.Settings["Portal:Provisioning:Limits:MaxConcurrentRequests"] = "0";

        var error = Assert.ThrowsAny<Exception>(() => Portal.CreateClient());

        var validation = Assert.IsType<OptionsValidationException>(Unwrap(error));
        Assert.Contains(validation.Failures, f => f.StartsWith("Portal:Provisioning:CircuitBreaker:FailureRatio must be", StringComparison.Ordinal));
        Assert.Contains(validation.Failures, f => f.StartsWith("Portal:Provisioning:Limits:MaxConcurrentRequests must be", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_defaults_and_the_test_settings_start()
    {
        using var client = Portal.CreateClient();
        using var health = await client.GetAsync("/healthz");
        Assert.True(health.IsSuccessStatusCode);
    }

    /// <summary>The host may wrap the startup failure (an AggregateException from the startup validator, say).</summary>
    private static Exception Unwrap(Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is OptionsValidationException)
            {
                return e;
            }
            if (e is AggregateException { InnerExceptions.Count: 1 } single)
            {
                return Unwrap(single.InnerExceptions[0]);
            }
        }
        return error;
    }
}
