using System.Text.Json;
using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;
using MudBlazor;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Steering;
using Poppy.Portal.Core.Features.Validation;

namespace Poppy.Portal.Web.Features.Steering;

public sealed partial class SteeringPanel
{
    /// <summary>A whole-number threshold of the form: its JSON name (the API's and the field messages'), label and accessors.</summary>
    private sealed record IntField(string Name, string Label, string Help, Func<SteeringThresholds, int> Get, Func<SteeringThresholds, int, SteeringThresholds> Set);

    private sealed record RatioField(string Name, string Label, string Help, Func<SteeringThresholds, double> Get, Func<SteeringThresholds, double, SteeringThresholds> Set);

    private static readonly IntField[] IntFields =
    [
        new("failures_to_unhealthy", "Failures to unhealthy", "consecutive failed probes", t => t.FailuresToUnhealthy, (t, v) => t with { FailuresToUnhealthy = v }),
        new("successes_to_healthy", "Successes to healthy", "consecutive successful probes", t => t.SuccessesToHealthy, (t, v) => t with { SuccessesToHealthy = v }),
        new("error_rate_window_seconds", "Error rate window (s)", "seconds of probes read", t => t.ErrorRateWindowSeconds, (t, v) => t with { ErrorRateWindowSeconds = v }),
        new("error_rate_min_samples", "Error rate min samples", "fewer probes say nothing", t => t.ErrorRateMinSamples, (t, v) => t with { ErrorRateMinSamples = v }),
        new("fastest_window_seconds", "Fastest window (s)", "p95 compared over", t => t.FastestWindowSeconds, (t, v) => t with { FastestWindowSeconds = v }),
        new("fastest_rounds", "Fastest rounds", "rounds in a row before a switch", t => t.FastestRounds, (t, v) => t with { FastestRounds = v }),
        new("fastest_min_samples", "Fastest min samples", "probes before a p95 counts", t => t.FastestMinSamples, (t, v) => t with { FastestMinSamples = v }),
    ];

    private static readonly RatioField[] RatioFields =
    [
        new("error_rate", "Error rate (0-1)", "above it a provider is unhealthy", t => t.ErrorRate, (t, v) => t with { ErrorRate = v }),
        new("fastest_margin", "Fastest margin (0-1)", "0.2 = a 20 % lower p95", t => t.FastestMargin, (t, v) => t with { FastestMargin = v }),
    ];

    [Parameter, EditorRequired] public Guid ServiceId { get; set; }

    /// <summary>How often the panel re-reads while open (steering in other processes is seen this way).</summary>
    [Parameter] public TimeSpan RefreshEvery { get; set; } = TimeSpan.FromSeconds(2);

    private SteeringView? view;
    private bool missing;
    private bool busy;
    private PeriodicTimer? timer;
    private bool subscribed;
    private bool loading;
    private bool loadAgain;
    private readonly HashSet<long> expanded = [];

    // The form: filled from the view when it is first read and after a save (not by the live refresh, which would
    // overwrite what the user is typing).
    private string policy = "failover";
    private string mode = "enforce";
    private List<string> order = [];
    private string? pinned;
    private Dictionary<string, int> weights = [];
    private SteeringThresholds thresholds = SteeringThresholds.Default;
    private Dictionary<string, string> errors = [];
    private Guid? formFor;
    private string? generalError;

    protected override async Task OnParametersSetAsync()
    {
        await LoadAsync();
        // A parent's re-render sets the parameters again: the form keeps what the user is typing unless the service changed.
        if (view is not null && formFor != ServiceId)
        {
            ResetForm();
            formFor = ServiceId;
        }
    }

    protected override void OnAfterRender(bool firstRender)
    {
        if (firstRender && RendererInfo.IsInteractive && ProjectId is not null)
        {
            SteeringEvents.Changed += OnSteeringChanged;
            subscribed = true;
            timer = new PeriodicTimer(RefreshEvery, Clock);
            _ = RefreshLoopAsync(timer);
        }
    }

    private void OnSteeringChanged(Guid serviceId)
    {
        if (serviceId != ServiceId)
        {
            return;
        }
        // Raised on the steering round's thread: re-read on the circuit's.
        _ = InvokeAsync(ReloadAsync);
    }

    private async Task RefreshLoopAsync(PeriodicTimer ticks)
    {
        try
        {
            while (await ticks.WaitForNextTickAsync(Aborted))
            {
                await InvokeAsync(ReloadAsync);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task ReloadAsync()
    {
        try
        {
            await LoadAsync();
            StateHasChanged();
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        catch (AccessDeniedException)
        {
            // Access was withdrawn while the page was open: stop refreshing.
            timer?.Dispose();
        }
    }

    private async Task LoadAsync()
    {
        if (ProjectId is not { } projectId)
        {
            return;
        }
        if (loading)
        {
            // A timer tick and an event at once: one more read after the current one is enough.
            loadAgain = true;
            return;
        }
        loading = true;
        try
        {
            do
            {
                loadAgain = false;
                var serviceId = ServiceId;
                view = await Calls.RunAsync<SteeringService, SteeringView?>((steering, ct) => steering.GetAsync(projectId, serviceId, ct), Aborted);
                missing = view is null;
            }
            while (loadAgain);
        }
        finally
        {
            loading = false;
        }
    }

    private void ResetForm()
    {
        if (view is not { } v)
        {
            return;
        }
        policy = v.Policy.WireName();
        mode = v.Mode.WireName();
        order = [.. v.Providers.Select(p => p.Name)];
        pinned = v.Pinned?.Name;
        // Weighted starts from the operator's weights, else an equal split.
        weights = v.Weights?.ToDictionary(w => w.Name, w => w.Weight) ?? order.ToDictionary(name => name, _ => 1);
        thresholds = v.Thresholds;
        errors = [];
        generalError = null;
    }

    private void Move(int index, int by)
    {
        var to = index + by;
        if (to < 0 || to >= order.Count)
        {
            return;
        }
        (order[index], order[to]) = (order[to], order[index]);
    }

    private async Task SaveAsync()
    {
        var change = new SteeringChange(policy, mode, [.. order], policy == "manual" ? pinned : null,
            thresholds == SteeringThresholds.Default ? null : thresholds,
            policy == "weighted" ? order.ToDictionary(name => name, name => weights.GetValueOrDefault(name)) : null);
        if (await ApplyAsync(change, "Steering saved."))
        {
            ResetForm();
        }
    }

    private async Task PinAsync(SteeringProvider provider)
    {
        if (view is not { } v)
        {
            return;
        }
        var effect = v.Mode == SteeringMode.DryRun
            ? "Steering runs as a dry run: the pin is recorded, the DNS records are not changed."
            : "The DNS records of every domain are pointed at it now, whatever its health, until you choose another policy.";
        if (!await ConfirmAsync($"Pin {provider.Name}?", $"Policy becomes manual with {provider.Name} pinned. {effect}", "Pin", Color.Warning))
        {
            return;
        }
        var change = new SteeringChange("manual", v.Mode.WireName(), [.. v.Providers.Select(p => p.Name)], provider.Name,
            v.Thresholds == SteeringThresholds.Default ? null : v.Thresholds);
        if (await ApplyAsync(change, $"{provider.Name} pinned."))
        {
            ResetForm();
        }
    }

    /// <summary>Saves a change; field problems go to their fields (those without one to the form's alert).</summary>
    private async Task<bool> ApplyAsync(SteeringChange change, string success)
    {
        if (ProjectId is not { } projectId)
        {
            return false;
        }
        busy = true;
        try
        {
            ChangeResult<SteeringView>? result = null;
            var serviceId = ServiceId;
            var allowed = await TryAsync(async ct =>
                result = await Calls.RunAsync<SteeringService, ChangeResult<SteeringView>>((steering, token) => steering.UpdateAsync(projectId, serviceId, change, token), ct));
            if (!allowed || result is null)
            {
                return false;
            }
            if (result.IsNotFound)
            {
                missing = true;
                Snackbar.Add("The service is gone.", Severity.Warning);
                return false;
            }
            if (!result.Succeeded)
            {
                errors = result.Errors.GroupBy(e => e.Path).ToDictionary(g => g.Key, g => string.Join(" ", g.Select(e => e.Message)));
                var shown = errors.Keys.Where(IsFormField).ToHashSet();
                generalError = result.Errors.Any(e => !shown.Contains(e.Path))
                    ? string.Join(" ", result.Errors.Where(e => !shown.Contains(e.Path)).Select(e => e.Message))
                    : null;
                Snackbar.Add("Steering was not saved: see the messages at the fields.", Severity.Error);
                return false;
            }
            view = result.Value;
            Snackbar.Add(success, Severity.Success);
            return true;
        }
        finally
        {
            busy = false;
        }
    }

    private static bool IsFormField(string path) =>
        path is "policy" or "mode" or "providers" or "pinned_provider" or "weights"
        || IntFields.Any(f => path == $"thresholds.{f.Name}") || RatioFields.Any(f => path == $"thresholds.{f.Name}");

    private bool Has(string path) => errors.ContainsKey(path);

    private string? ErrorOf(string path) => errors.GetValueOrDefault(path);

    private void Toggle(long id)
    {
        if (!expanded.Remove(id))
        {
            expanded.Add(id);
        }
    }

    private async Task CopyAsync(string text)
    {
        try
        {
            await JS.InvokeVoidAsync("navigator.clipboard.writeText", Aborted, text);
            Snackbar.Add($"Copied {text}.", Severity.Info);
        }
        catch (JSException)
        {
            Snackbar.Add("The browser did not allow copying; select the name instead.", Severity.Warning);
        }
    }

    /// <summary>The weighted set the records hold (the first record's: steering writes the same weights for every domain); null for plain CNAMEs.</summary>
    private static IReadOnlyList<WrittenWeight>? WrittenWeights(SteeringView v) => v.Records.Select(r => r.Weights).FirstOrDefault(w => w is not null);

    private static string Share(IReadOnlyList<WrittenWeight> set, WrittenWeight one) =>
        set.Sum(w => w.Weight) is > 0 and var total ? $"{100.0 * one.Weight / total:0.#} %" : "–";

    /// <summary>Where the policy would rather point (for the banner's words).</summary>
    private static string? Preferred(SteeringView v) => v.Policy switch
    {
        SteeringPolicy.Manual => v.Pinned?.Name,
        SteeringPolicy.Fastest or SteeringPolicy.Weighted => null,
        _ => v.Providers.FirstOrDefault()?.Name,
    };

    private static string HealthName(SteeringHealthView? health) =>
        health is null || health.Reason.StartsWith("not assessed", StringComparison.Ordinal) ? "unknown" : health.Healthy ? "healthy" : "unhealthy";

    private static Color HealthColor(SteeringHealthView? health) => HealthName(health) switch
    {
        "healthy" => Color.Success,
        "unhealthy" => Color.Error,
        _ => Color.Default,
    };

    private static string KindName(SteeringEventKind kind) => kind switch
    {
        SteeringEventKind.Switch => "switch",
        SteeringEventKind.WouldSwitch => "would switch (dry run)",
        SteeringEventKind.Alert => "alert: all unhealthy",
        _ => "alert cleared",
    };

    private static string Pretty(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return JsonSerializer.Serialize(document.RootElement, PrettyJson);
        }
        catch (JsonException)
        {
            return json;
        }
    }

    private static readonly JsonSerializerOptions PrettyJson = new() { WriteIndented = true };

    protected override void Dispose(bool disposing)
    {
        if (subscribed)
        {
            SteeringEvents.Changed -= OnSteeringChanged;
        }
        timer?.Dispose();
    }
}
