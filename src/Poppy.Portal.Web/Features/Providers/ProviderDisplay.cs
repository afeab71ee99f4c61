using System.Globalization;
using MudBlazor;
using Poppy.Portal.Core.Drivers;
using Polly.CircuitBreaker;

namespace Poppy.Portal.Web.Features.Providers;

/// <summary>How the provider and DNS pages write times, connection-test outcomes and circuit states.</summary>
public static class ProviderDisplay
{
    public static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    public static string Label(ConnectionTestOutcome outcome) => outcome switch
    {
        ConnectionTestOutcome.Ok => "OK",
        ConnectionTestOutcome.BadCredentials => "Bad credentials",
        ConnectionTestOutcome.Unreachable => "Unreachable",
        _ => "Failed",
    };

    /// <summary>The breaker of an account as people say it: Closed (calls go through), Open (calls stop), Half-open (one trial call).</summary>
    public static string CircuitName(CircuitState state) => state switch
    {
        CircuitState.Open or CircuitState.Isolated => "Open",
        CircuitState.HalfOpen => "Half-open",
        _ => "Closed",
    };

    public static Color CircuitColor(CircuitState state) => CircuitName(state) switch
    {
        "Open" => Color.Error,
        "Half-open" => Color.Warning,
        _ => Color.Success,
    };
}
