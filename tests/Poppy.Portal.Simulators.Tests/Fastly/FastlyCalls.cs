using System.Net;
using System.Text.Json.Nodes;
using Poppy.Portal.Simulators.Tests.Infrastructure;

namespace Poppy.Portal.Simulators.Tests.Fastly;

/// <summary>Calls Fastly's API the way a driver does: <c>Fastly-Key</c> header, form-encoded writes.</summary>
internal sealed class FastlyCalls(HttpClient http, Uri apiBase, string? key = "sim-fastly-api-key")
{
    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, params (string Name, string Value)[] form)
    {
        var request = new HttpRequestMessage(method, new Uri(apiBase, path.TrimStart('/')));
        if (key is not null)
        {
            request.Headers.Add("Fastly-Key", key);
        }

        if (form.Length > 0)
        {
            request.Content = new FormUrlEncodedContent(form.Select(f => KeyValuePair.Create(f.Name, f.Value)));
        }

        return http.SendAsync(request);
    }

    public Task<HttpResponseMessage> GetAsync(string path) => SendAsync(HttpMethod.Get, path);

    public Task<HttpResponseMessage> PostAsync(string path, params (string, string)[] form) => SendAsync(HttpMethod.Post, path, form);

    public Task<HttpResponseMessage> PutAsync(string path, params (string, string)[] form) => SendAsync(HttpMethod.Put, path, form);

    public Task<HttpResponseMessage> DeleteAsync(string path) => SendAsync(HttpMethod.Delete, path);

    /// <summary>Sends and asserts a 200, returning the JSON body.</summary>
    public async Task<JsonNode> OkAsync(Task<HttpResponseMessage> call)
    {
        using var response = await call;
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!;
    }

    /// <summary>
    /// The Poppy driver's create flow: service, domain, backend to the loopback origin, then what
    /// <paramref name="configure"/> adds to version 1, then activation. Returns the service id.
    /// </summary>
    public async Task<string> CreateActiveServiceAsync(string domain, int originPort, Func<string, Task>? configure = null)
    {
        var service = await OkAsync(PostAsync("/service", ("name", domain), ("type", "vcl")));
        var sid = service["id"]!.GetValue<string>();
        await OkAsync(PostAsync($"/service/{sid}/version/1/domain", ("name", domain)));
        await OkAsync(PostAsync($"/service/{sid}/version/1/backend",
            ("name", "origin"), ("address", "127.0.0.1"), ("port", originPort.ToString()), ("use_ssl", "0")));
        if (configure is not null)
        {
            await configure(sid);
        }

        await OkAsync(PutAsync($"/service/{sid}/version/1/activate"));
        return sid;
    }
}
