using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Core.Features.Steering;

namespace Poppy.Portal.Web.Api;

/// <summary>
/// A service as Poppy's API returns it: the document plus id, project_id, status, errors and links (self, flavor, one
/// access_url per domain with a provider URL, and one without a provider for the domain's steering name), and certificate_status on https domains. Also lists each provider's
/// state under "providers" (Poppy kept provider_details internal; operators need to see them), and under "warnings",
/// shaped like "errors", every setting a provider could not express.
/// Written with <see cref="Utf8JsonWriter"/> straight from the stored document, which is already in the wire shape:
/// the list endpoint is the API's hot path.
/// </summary>
public static class ServiceRepresentation
{
    /// <param name="steeringNames">The steering names of the services' domains (<see cref="SteeringService.NamesAsync"/>):
    /// each is an access_url without a provider, the name customers point their domain at.</param>
    public static FileContentHttpResult Single(CdnService service, string projectName, string apiBase,
        IReadOnlyDictionary<Guid, IReadOnlyList<SteeringName>>? steeringNames = null) =>
        Json(writer => Write(writer, service, projectName, apiBase, steeringNames));

    public static FileContentHttpResult Page(IReadOnlyList<CdnService> services, string projectName, string apiBase, string? nextLink,
        IReadOnlyDictionary<Guid, IReadOnlyList<SteeringName>>? steeringNames = null) =>
        Json(writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartArray("links");
            if (nextLink is not null)
            {
                writer.WriteStartObject();
                writer.WriteString("rel", "next");
                writer.WriteString("href", nextLink);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteStartArray("services");
            foreach (var service in services)
            {
                Write(writer, service, projectName, apiBase, steeringNames);
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        });

    private static FileContentHttpResult Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }
        return TypedResults.Bytes(buffer.WrittenMemory, "application/json");
    }

    private static void Write(Utf8JsonWriter writer, CdnService service, string projectName, string apiBase,
        IReadOnlyDictionary<Guid, IReadOnlyList<SteeringName>>? steeringNames)
    {
        writer.WriteStartObject();
        writer.WriteString("id", service.Id);
        using (var document = JsonDocument.Parse(service.Document))
        {
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.NameEquals("domains"))
                {
                    WriteDomains(writer, property.Value);
                }
                else
                {
                    property.WriteTo(writer);
                }
            }
        }
        writer.WriteString("project_id", projectName);
        writer.WriteString("status", service.Status.WireName());

        writer.WriteStartArray("errors");
        foreach (var provider in service.Providers.Where(p => p.ErrorMessage is not null))
        {
            writer.WriteStartObject();
            writer.WriteString("message", $"{provider.ProviderName}: {provider.ErrorMessage}");
            writer.WriteEndObject();
        }
        writer.WriteEndArray();

        // What the vendors could not express, shaped like errors: a deployed service with warnings is not all it asks.
        writer.WriteStartArray("warnings");
        foreach (var provider in service.Providers.OrderBy(p => p.ProviderName, StringComparer.Ordinal))
        {
            foreach (var warning in ProviderWarnings.Read(provider.Warnings))
            {
                writer.WriteStartObject();
                writer.WriteString("message", $"{provider.ProviderName}: {warning}");
                writer.WriteString("provider", provider.ProviderName);
                writer.WriteEndObject();
            }
        }
        writer.WriteEndArray();

        writer.WriteStartArray("links");
        WriteLink(writer, $"{apiBase}/services/{service.Id}", "self");
        WriteLink(writer, $"{apiBase}/flavors/{service.FlavorId}", "flavor");
        foreach (var name in steeringNames?.GetValueOrDefault(service.Id) ?? [])
        {
            // The steering name: it follows the provider steering chose, so it names none.
            writer.WriteStartObject();
            writer.WriteString("href", name.Name);
            writer.WriteString("rel", "access_url");
            writer.WriteString("domain", name.Domain);
            writer.WriteEndObject();
        }
        foreach (var provider in service.Providers)
        {
            foreach (var url in AccessUrlJson.Read(provider.AccessUrls))
            {
                writer.WriteStartObject();
                writer.WriteString("href", url.OperatorUrl ?? url.ProviderUrl);
                writer.WriteString("rel", "access_url");
                writer.WriteString("domain", url.Domain);
                writer.WriteString("provider", provider.ProviderName);
                writer.WriteEndObject();
            }
        }
        writer.WriteEndArray();

        writer.WriteStartArray("providers");
        foreach (var provider in service.Providers.OrderBy(p => p.ProviderName, StringComparer.Ordinal))
        {
            writer.WriteStartObject();
            writer.WriteString("provider", provider.ProviderName);
            writer.WriteString("status", provider.Status.WireName());
            writer.WriteString("provider_service_id", provider.ProviderServiceId);
            writer.WriteString("error", provider.ErrorMessage);
            // Settings this provider cannot express, as its driver reported them: never dropped silently.
            writer.WriteStartArray("warnings");
            foreach (var warning in ProviderWarnings.Read(provider.Warnings))
            {
                writer.WriteStringValue(warning);
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>https domains add certificate_status: a shared certificate is always deployed; others wait for provisioning.</summary>
    private static void WriteDomains(Utf8JsonWriter writer, JsonElement domains)
    {
        writer.WriteStartArray("domains");
        foreach (var domain in domains.EnumerateArray())
        {
            writer.WriteStartObject();
            foreach (var field in domain.EnumerateObject())
            {
                field.WriteTo(writer);
            }
            if (domain.TryGetProperty("protocol", out var protocol) && protocol.ValueEquals("https"))
            {
                var shared = domain.TryGetProperty("certificate", out var certificate) && certificate.ValueEquals("shared");
                writer.WriteString("certificate_status", shared ? "deployed" : "create_in_progress");
            }
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }

    private static void WriteLink(Utf8JsonWriter writer, string href, string rel)
    {
        writer.WriteStartObject();
        writer.WriteString("href", href);
        writer.WriteString("rel", rel);
        writer.WriteEndObject();
    }
}
