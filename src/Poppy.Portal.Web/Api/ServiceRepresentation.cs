using System.Text.Json;
using System.Text.Json.Nodes;
using Poppy.Portal.Core.Features.Services;

namespace Poppy.Portal.Web.Api;

/// <summary>
/// A service as Poppy's API returns it: the document plus id, project_id, status, errors and links (self, flavor, one
/// access_url per domain with a provider URL), and certificate_status on https domains. Also lists each provider's
/// state under "providers" (Poppy kept provider_details internal; operators need to see them).
/// </summary>
public static class ServiceRepresentation
{
    public static JsonObject Build(CdnService service, string projectName, string apiBase)
    {
        // The stored document is already in the wire shape (ServiceSpec.Json), so it is parsed, not re-serialised.
        var json = JsonNode.Parse(service.Document)!.AsObject();
        json.Insert(0, "id", service.Id.ToString());
        json["project_id"] = projectName;
        json["status"] = service.Status.WireName();

        var accessUrls = service.Providers
            .SelectMany(p => ReadAccessUrls(p.AccessUrls).Select(url => (Provider: p.ProviderName, Url: url)))
            .ToList();
        foreach (var domain in json["domains"]!.AsArray().OfType<JsonObject>().Where(d => (string?)d["protocol"] == "https"))
        {
            domain["certificate_status"] = (string?)domain["certificate"] == "shared" ? "deployed" : "create_in_progress";
        }

        json["errors"] = new JsonArray(service.Providers.Where(p => p.ErrorMessage is not null)
            .Select(p => (JsonNode)new JsonObject { ["message"] = $"{p.ProviderName}: {p.ErrorMessage}" }).ToArray());
        var links = new JsonArray
        {
            new JsonObject { ["href"] = $"{apiBase}/services/{service.Id}", ["rel"] = "self" },
            new JsonObject { ["href"] = $"{apiBase}/flavors/{service.FlavorId}", ["rel"] = "flavor" },
        };
        foreach (var (provider, url) in accessUrls)
        {
            links.Add(new JsonObject { ["href"] = url.OperatorUrl ?? url.ProviderUrl, ["rel"] = "access_url", ["domain"] = url.Domain, ["provider"] = provider });
        }
        json["links"] = links;
        json["providers"] = new JsonArray(service.Providers.OrderBy(p => p.ProviderName).Select(p => (JsonNode)new JsonObject
        {
            ["provider"] = p.ProviderName,
            ["status"] = p.Status.WireName(),
            ["provider_service_id"] = p.ProviderServiceId,
            ["error"] = p.ErrorMessage,
        }).ToArray());
        return json;
    }

    public static IReadOnlyList<AccessUrl> ReadAccessUrls(string? json) =>
        json is null ? [] : JsonSerializer.Deserialize<List<AccessUrl>>(json, ServiceSpec.Json) ?? [];
}
