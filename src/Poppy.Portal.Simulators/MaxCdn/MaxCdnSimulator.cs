using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Poppy.Portal.Simulators.Edge;
using Poppy.Portal.Simulators.Hosting;
using Poppy.Portal.Simulators.Inventory;
using static Poppy.Portal.Simulators.Hosting.HttpHelpers;
using Poppy.Portal.Providers.Signing;

namespace Poppy.Portal.Simulators.MaxCdn;

/// <summary>
/// MaxCDN's REST Web Services (<c>rws.maxcdn.com/{alias}/…</c> under <c>{base}/maxcdn/{alias}/</c>, two-legged
/// OAuth 1.0a): pull zones, their custom domains and cache purges; and its edge (<c>{zone}.{alias}.netdna-cdn.com</c>).
/// </summary>
public sealed class MaxCdnSimulator : VendorSimulator
{
    public const string AccessHostSuffix = ".netdna-cdn.com";

    /// <summary>OAuth timestamps further than this from the clock are refused.</summary>
    private static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(5);

    internal MaxCdnSimulator(SimulatorContext context)
        : base(CdnVendor.MaxCdn, context)
    {
        Store = new MaxCdnStore(context);
        Edge = new MaxCdnEdge(this);
    }

    public IReadOnlyList<MaxCdnPullZone> PullZones => Store.Zones;

    public IReadOnlyList<MaxCdnPurge> Purges => Store.Purges;

    public override IReadOnlyList<SimulatedResource> Inventory() =>
        [.. PullZones.Select(z => new SimulatedResource(Vendor, z.Id.ToString(CultureInfo.InvariantCulture), z.Name, SimulatorInventory.PortalServiceIdIn(z.Name)))];

    /// <summary>The API base including the company alias, which is what a MaxCDN client is configured with.</summary>
    public Uri AccountApiBaseUrl => new(ApiBaseUrl, Context.Options.MaxCdn.CompanyAlias + "/");

    internal MaxCdnStore Store { get; }

    internal override EdgeBehavior Edge { get; }

    internal override void MapApi(RouteGroupBuilder api)
    {
        var account = api.MapGroup("/{alias}");
        account.AddEndpointFilter((invocation, next) =>
            invocation.HttpContext.GetRouteValue("alias")?.ToString() == Context.Options.MaxCdn.CompanyAlias
                ? next(invocation)
                : ValueTask.FromResult<object?>(MaxCdnApiError.Body(StatusCodes.Status404NotFound, "not_found", "Unknown company alias")));

        // The account itself: what a client reads to check its credentials.
        account.MapGet("/account.json", () => Json(Envelope(StatusCodes.Status200OK, new JsonObject
        {
            ["account"] = new JsonObject
            {
                ["id"] = "1",
                ["name"] = "Poppy simulator",
                ["alias"] = Context.Options.MaxCdn.CompanyAlias,
                ["status"] = "2",
            },
        })));
        account.MapGet("/zones/pull.json", () =>
        {
            var zones = Store.Zones;
            return Json(Envelope(StatusCodes.Status200OK, new JsonObject
            {
                ["pullzones"] = new JsonArray([.. zones.Select(z => (JsonNode)ZoneJson(z))]),
                ["page"] = 1, ["pages"] = 1, ["page_size"] = "50", ["current_page_size"] = zones.Count, ["total"] = zones.Count,
            }));
        });
        // A statement lambda: an expression-bodied async (HttpContext) lambda would bind as a RequestDelegate and drop its result.
        account.MapPost("/zones/pull.json", async (HttpContext http) =>
        {
            var zone = Store.Create(await ReadFieldsAsync(http.Request));
            return Json(Envelope(StatusCodes.Status201Created, new JsonObject { ["pullzone"] = ZoneJson(zone) }), StatusCodes.Status201Created);
        });
        account.MapGet("/zones/pull.json/{id}", (string id) =>
            Json(Envelope(StatusCodes.Status200OK, new JsonObject { ["pullzone"] = ZoneJson(Store.Get(id)) })));
        account.MapPut("/zones/pull.json/{id}", async (HttpContext http, string id) =>
            Json(Envelope(StatusCodes.Status200OK, new JsonObject { ["pullzone"] = ZoneJson(Store.Update(id, await ReadFieldsAsync(http.Request))) })));
        account.MapDelete("/zones/pull.json/{id}", (string id) =>
        {
            var zone = Store.Get(id);
            Store.Delete(id);
            EdgeCache.Purge(e => e.SiteId == zone.Id.ToString(CultureInfo.InvariantCulture), soft: false);
            return Json(new JsonObject { ["code"] = 200 });
        });
        account.MapDelete("/zones/pull.json/{id}/cache", async (HttpContext http, string id) =>
        {
            var zone = Store.Get(id);
            var files = new List<string>();
            files.AddRange(http.Request.Query["file"].Concat(http.Request.Query["files[]"]).Concat(http.Request.Query["files"]).OfType<string>());
            if (http.Request.HasFormContentType)
            {
                var form = await http.Request.ReadFormAsync(http.RequestAborted);
                files.AddRange(form["file"].Concat(form["files[]"]).Concat(form["files"]).OfType<string>());
            }

            var siteId = zone.Id.ToString(CultureInfo.InvariantCulture);
            var paths = files.Select(f => f.StartsWith('/') ? f : "/" + f).ToHashSet();
            var count = EdgeCache.Purge(e => e.SiteId == siteId && (paths.Count == 0 || paths.Contains(e.Path)), soft: false);
            Store.RecordPurge(zone.Id, [.. paths], count);
            return Json(new JsonObject { ["code"] = 200 });
        });

        account.MapGet("/zones/pull/{id}/customdomains.json", (string id) =>
            Json(Envelope(StatusCodes.Status200OK, new JsonObject
            {
                ["customdomains"] = new JsonArray([.. Store.Get(id).CustomDomains.Select(d => (JsonNode)DomainJson(id, d))]),
            })));
        account.MapPost("/zones/pull/{id}/customdomains.json", async (HttpContext http, string id) =>
        {
            var fields = await ReadFieldsAsync(http.Request);
            var domain = fields.GetValueOrDefault("custom_domain")?.Trim().ToLowerInvariant();
            if (string.IsNullOrEmpty(domain) || !domain.Contains('.'))
            {
                throw MaxCdnApiError.Validation("custom_domain: must be a valid host name");
            }

            var added = Store.AddCustomDomain(id, domain);
            return Json(Envelope(StatusCodes.Status201Created, new JsonObject { ["customdomain"] = DomainJson(id, added) }), StatusCodes.Status201Created);
        });
        account.MapDelete("/zones/pull/{id}/customdomains.json/{domainId}", (string id, string domainId) =>
        {
            Store.DeleteCustomDomain(id, domainId);
            return Json(new JsonObject { ["code"] = 200 });
        });
    }

    /// <summary>Two-legged OAuth 1.0a, HMAC-SHA1, over the request as received (the base URL includes the /maxcdn prefix).</summary>
    internal override async ValueTask<IResult?> AuthenticateAsync(HttpContext http)
    {
        var request = http.Request;
        var oauth = OAuth1.ParseHeader(request.Headers.Authorization.ToString());
        var credentials = Context.Options.MaxCdn;
        if (oauth is null || !oauth.TryGetValue("oauth_signature", out var signature))
        {
            return Refuse("Missing OAuth Authorization header");
        }

        if (oauth.GetValueOrDefault("oauth_consumer_key") != credentials.ConsumerKey)
        {
            return Refuse("Invalid consumer key");
        }

        if (oauth.GetValueOrDefault("oauth_signature_method") != "HMAC-SHA1")
        {
            return Refuse("Unsupported signature method");
        }

        if (!long.TryParse(oauth.GetValueOrDefault("oauth_timestamp"), out var timestamp)
            || (Context.Now - DateTimeOffset.FromUnixTimeSeconds(timestamp)).Duration() > MaxClockSkew)
        {
            return Refuse("Expired or invalid timestamp");
        }

        var parameters = oauth.Where(p => p.Key is not ("oauth_signature" or "realm")).ToList();
        parameters.AddRange(request.Query.SelectMany(q => q.Value.Select(v => KeyValuePair.Create(q.Key, v ?? ""))));
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(http.RequestAborted);
            parameters.AddRange(form.SelectMany(f => f.Value.Select(v => KeyValuePair.Create(f.Key, v ?? ""))));
        }

        var baseUrl = $"{request.Scheme}://{request.Host.Value?.ToLowerInvariant()}{request.PathBase}{request.Path}";
        var expected = OAuth1Signature.Sign(OAuth1Signature.BaseString(request.Method, baseUrl, parameters), credentials.ConsumerSecret);
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature))
            ? null
            : Refuse("Invalid signature");
    }

    internal override IResult Unavailable() =>
        MaxCdnApiError.Body(StatusCodes.Status503ServiceUnavailable, "service_unavailable", "The API is temporarily unavailable");

    internal override IResult Throttled(int retryAfterSeconds) =>
        MaxCdnApiError.Body(StatusCodes.Status429TooManyRequests, "rate_limit_exceeded", "Too many requests")
            .WithHeaders(("Retry-After", retryAfterSeconds.ToString(CultureInfo.InvariantCulture)));

    internal override IResult Failure(int status, string message) =>
        MaxCdnApiError.Body(status, status >= 500 ? "internal_error" : "validation_error", message);

    internal override IResult UnknownPath(HttpContext http) =>
        MaxCdnApiError.Body(StatusCodes.Status404NotFound, "not_found", $"Unknown resource {http.Request.Path}");

    private static IResult Refuse(string message) => MaxCdnApiError.Body(StatusCodes.Status401Unauthorized, "not_authorized", message);

    private static JsonObject Envelope(int code, JsonObject data) => new() { ["code"] = code, ["data"] = data };

    private static JsonObject ZoneJson(MaxCdnPullZone zone)
    {
        var json = new JsonObject { ["id"] = zone.Id.ToString(CultureInfo.InvariantCulture) };
        foreach (var (key, value) in zone.Fields.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            json[key] = value;
        }

        return json;
    }

    private static JsonObject DomainJson(string zoneId, MaxCdnCustomDomain domain) => new()
    {
        ["id"] = domain.Id.ToString(CultureInfo.InvariantCulture),
        ["bucket_id"] = zoneId,
        ["custom_domain"] = domain.Domain,
        ["type"] = "pull",
    };
}
