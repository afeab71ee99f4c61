namespace Poppy.Portal.Core.Features.Services;

/// <summary>The defaults Poppy fills in, applied before validation (its uniqueness rules see them) and before saving.</summary>
public static class ServiceDefaults
{
    public const string DefaultRuleName = "default";
    public const string EverythingUrl = "/*";

    /// <summary>
    /// Origins without rules serve everything; the first caching rule without rules covers everything; a service created
    /// without caching gets one default rule (an update that empties caching keeps it empty, as in Poppy); a restriction
    /// rule without a URL applies to everything; an "origin" host header carries the origin.
    /// </summary>
    public static void Apply(ServiceSpec spec, bool isCreate)
    {
        foreach (var origin in spec.Origins)
        {
            if (origin.Rules.Count == 0)
            {
                origin.Rules.Add(new RuleSpec { Name = DefaultRuleName, RequestUrl = EverythingUrl });
            }
            origin.HostHeaderValue = origin.HostHeaderType switch
            {
                HostHeaderType.Origin => origin.Origin,
                HostHeaderType.Domain => null,
                _ => origin.HostHeaderValue,
            };
        }

        if (isCreate && spec.Caching.Count == 0)
        {
            spec.Caching.Add(new CachingRuleSpec { Name = DefaultRuleName, Ttl = ServiceLimits.DefaultCacheTtl });
        }
        if (spec.Caching.Count > 0 && spec.Caching[0].Rules.Count == 0)
        {
            spec.Caching[0].Rules.Add(new RuleSpec { Name = DefaultRuleName, RequestUrl = EverythingUrl });
        }

        foreach (var rule in spec.Restrictions.SelectMany(r => r.Rules).Where(r => string.IsNullOrEmpty(r.RequestUrl)))
        {
            rule.RequestUrl = EverythingUrl;
        }
    }

    /// <summary>Poppy compares rule paths with a leading slash added, so "*" and "/*" are the same path.</summary>
    public static string NormalizeUrl(string url) => url.StartsWith('/') ? url : "/" + url;
}
