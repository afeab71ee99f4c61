namespace Poppy.Portal.Simulators;

/// <summary>The CDN vendors the simulator imitates; each has its API under <c>{base}/{PathSegment}/</c>.</summary>
public enum CdnVendor
{
    Fastly,
    CloudFront,
    Akamai,
    MaxCdn,
}

public static class CdnVendorExtensions
{
    /// <summary>The URL segment that prefixes the vendor's API (<c>fastly</c>, <c>cloudfront</c>, <c>akamai</c>, <c>maxcdn</c>).</summary>
    public static string PathSegment(this CdnVendor vendor) => vendor.ToString().ToLowerInvariant();

    /// <summary>
    /// The vendor's API base under a simulator's base URL (<c>http://127.0.0.1:5090/fastly/</c>): what the portal's
    /// provider account takes as its API endpoint, whether the simulator runs in this process or another.
    /// </summary>
    public static Uri ApiBaseUrl(this CdnVendor vendor, Uri simulatorBaseUrl) => new(simulatorBaseUrl, vendor.PathSegment() + "/");

    public static bool TryParseSegment(string? segment, out CdnVendor vendor)
    {
        foreach (var candidate in Enum.GetValues<CdnVendor>())
        {
            if (string.Equals(candidate.PathSegment(), segment, StringComparison.OrdinalIgnoreCase))
            {
                vendor = candidate;
                return true;
            }
        }

        vendor = default;
        return false;
    }
}
