using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Providers;
using Poppy.Portal.Core.Features.Services;

namespace Poppy.Portal.Core.Features.Flavors;

/// <summary>One setting of a service that one vendor of its flavor cannot express, in that driver's words.</summary>
/// <param name="Provider">The provider account's name.</param>
public sealed record VendorLimitation(string Provider, ProviderKind Kind, string Setting);

/// <summary>
/// What the vendors of a flavor cannot express of a service, asked of each account's driver before a change is saved
/// (<see cref="ICdnDriver.Limitations"/>: the same mapping that reports warnings at deploy time, without a vendor call).
/// </summary>
public sealed class FlavorLimitations(ProviderAccountDirectory accounts, IEnumerable<ICdnDriver> drivers)
{
    /// <param name="flavor">With its providers and their accounts loaded.</param>
    public IReadOnlyList<VendorLimitation> Of(Flavor flavor, ServiceSpec spec)
    {
        var limitations = new List<VendorLimitation>();
        foreach (var account in flavor.Providers.OrderBy(p => p.Position).Select(p => p.ProviderAccount))
        {
            // Without a driver, or readable credentials, provisioning fails this provider with its own message.
            if (drivers.FirstOrDefault(d => d.Kind == account.Kind) is not { } driver || accounts.CredentialsOf(account) is not { } credentials)
            {
                continue;
            }
            limitations.AddRange(driver.Limitations(spec, credentials).Select(setting => new VendorLimitation(account.Name, account.Kind, setting)));
        }
        return limitations;
    }
}
