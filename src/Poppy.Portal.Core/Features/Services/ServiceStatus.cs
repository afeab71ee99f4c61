using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Poppy.Portal.Core.Features.Services;

/// <summary>A service's status as Poppy reports it (its wire names are in <see cref="ServiceStatuses"/>).</summary>
public enum ServiceStatus { CreateInProgress, Deployed, UpdateInProgress, DeleteInProgress, Failed, Disabled }

/// <summary>One provider's progress with a service.</summary>
public enum ProviderStatus { DeployInProgress, Deployed, UpdateInProgress, DeleteInProgress, Failed }

public static class ServiceStatuses
{
    private static readonly string[] Names = ["create_in_progress", "deployed", "update_in_progress", "delete_in_progress", "failed", "disabled"];

    public static string WireName(this ServiceStatus status) => Names[(int)status];

    public static ServiceStatus? Parse(string? name) => Array.IndexOf(Names, name) is var i and >= 0 ? (ServiceStatus)i : null;

    public static IReadOnlyList<ServiceStatus> All { get; } = Enum.GetValues<ServiceStatus>();

    internal static readonly ValueConverter<ServiceStatus, string> Converter = new(s => Names[(int)s], s => (ServiceStatus)Array.IndexOf(Names, s));

    /// <summary>
    /// Poppy's rule: the first of failed, delete, update, create in progress that any provider is in; otherwise deployed.
    /// No provider state at all means the create has not started.
    /// </summary>
    public static ServiceStatus Derive(IReadOnlyCollection<ProviderStatus> providers) =>
        providers.Count == 0 ? ServiceStatus.CreateInProgress
        : providers.Contains(ProviderStatus.Failed) ? ServiceStatus.Failed
        : providers.Contains(ProviderStatus.DeleteInProgress) ? ServiceStatus.DeleteInProgress
        : providers.Contains(ProviderStatus.UpdateInProgress) ? ServiceStatus.UpdateInProgress
        : providers.Contains(ProviderStatus.DeployInProgress) ? ServiceStatus.CreateInProgress
        : ServiceStatus.Deployed;
}

public static class ProviderStatuses
{
    private static readonly string[] Names = ["deploy_in_progress", "deployed", "update_in_progress", "delete_in_progress", "failed"];

    public static string WireName(this ProviderStatus status) => Names[(int)status];

    internal static readonly ValueConverter<ProviderStatus, string> Converter = new(s => Names[(int)s], s => (ProviderStatus)Array.IndexOf(Names, s));
}
