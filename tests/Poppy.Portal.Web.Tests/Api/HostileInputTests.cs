using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Flavors;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Core.Features.Validation;

namespace Poppy.Portal.Web.Tests.Api;

/// <summary>
/// One portal for the whole hostile-input suite: an admin API client, a deployed service of project alpha for PATCH
/// and purge (<c>{id}</c>), and a service of project beta (<c>{other}</c>) to aim at across tenants.
/// </summary>
public sealed class HostileInputFixture : IAsyncLifetime
{
    public ApiFixture Api { get; } = new();

    public Guid DeployedId { get; private set; }

    public Guid OtherProjectServiceId { get; private set; }

    /// <summary>The admin token without a default X-Project-ID, so each case sends its own.</summary>
    public HttpClient Client { get; private set; } = null!;

    /// <summary>The state (version, last change) of each service whose stored document was validated already.</summary>
    public Dictionary<Guid, (int Version, DateTimeOffset UpdatedAt)> Validated { get; } = [];

    public async Task InitializeAsync()
    {
        await Api.InitializeAsync();
        DeployedId = await ApiFixture.CreateAsync(Api.Admin, ApiFixture.NewService());
        await Api.MarkDeployedAsync(DeployedId);
        await Api.Portal.CreateProjectAsync("beta");
        using (var beta = await Api.ApiClientAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword, "beta"))
        {
            OtherProjectServiceId = await ApiFixture.CreateAsync(beta, ApiFixture.NewService());
        }
        Client = await Api.ApiClientAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword, project: null);
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Api.DisposeAsync();
    }
}

/// <summary>
/// Issue 10's hostile-input suite: every case a real HTTP request to the in-process portal, answered within a time
/// limit with a 4xx that carries a message or with a 2xx, never a 5xx; a refused request changes nothing, and after
/// every case all stored services, flavors, purges and limits still pass the rules they were checked against.
/// </summary>
public sealed class HostileInputTests(HostileInputFixture fixture) : IClassFixture<HostileInputFixture>
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(20);

    public static TheoryData<string> Cases() => [.. HostileInputCases.All.Keys];

    [Fact]
    public void The_suite_has_at_least_250_cases() => Assert.True(HostileInputCases.All.Count >= 250, $"{HostileInputCases.All.Count} cases");

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_hostile_request_gets_a_4xx_with_a_message_or_a_success_and_stores_nothing_invalid(string name)
    {
        var hostile = HostileInputCases.All[name];
        if (hostile.NeedsDeployedService)
        {
            // PATCH and purge need a deployed service; an accepted case before may have left it updating.
            await fixture.Api.MarkDeployedAsync(fixture.DeployedId);
        }
        var before = await SnapshotAsync();

        using var request = Request(hostile);
        using var timeout = new CancellationTokenSource(RequestTimeout);
        HttpResponseMessage response;
        try
        {
            response = await fixture.Client.SendAsync(request, timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            Assert.Fail($"{name}: no answer within {RequestTimeout.TotalSeconds} s");
            return;
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            var body = await response.Content.ReadAsStringAsync(timeout.Token);
            var said = $"{name}: {status} {body[..Math.Min(body.Length, 500)]}";
            Assert.True(status is >= 200 and < 500, said);
            switch (hostile.Expect)
            {
                case HostileExpect.Refused:
                    Assert.True(status >= 400, said);
                    break;
                case HostileExpect.Accepted:
                    Assert.True(status < 300, said);
                    break;
            }
            if (hostile.Status is { } expected)
            {
                Assert.True(status == expected, said);
            }
            if (status >= 400)
            {
                AssertHasMessage(body, hostile.Field, said);
            }

            var after = await SnapshotAsync();
            if (status >= 400)
            {
                Assert.True(before == after, $"{said}\nrefused, yet stored data changed:\n{before}\n{after}");
            }
        }
        await AssertStoredDataIsValidAsync(name);
    }

    private HttpRequestMessage Request(HostileCase hostile)
    {
        var path = Placeholders(hostile.Path);
        var request = new HttpRequestMessage(hostile.Method, new Uri("http://localhost" + path));
        if (hostile.Body is { } body)
        {
            request.Content = new ByteArrayContent(Placeholders(body)) { Headers = { ContentType = new("application/json") } };
        }
        if (hostile.ProjectHeader is { } project)
        {
            request.Headers.TryAddWithoutValidation("X-Project-ID", project);
        }
        return request;
    }

    private string Placeholders(string text) =>
        text.Replace("{id}", fixture.DeployedId.ToString(), StringComparison.Ordinal).Replace("{other}", fixture.OtherProjectServiceId.ToString(), StringComparison.Ordinal);

    /// <summary>Replaces placeholders byte-wise: the body may hold bytes that are not UTF-8 on purpose.</summary>
    private byte[] Placeholders(byte[] body)
    {
        var placeholder = "{id}"u8.ToArray();
        var id = Encoding.UTF8.GetBytes(fixture.DeployedId.ToString());
        var result = new List<byte>(body.Length + 64);
        for (var i = 0; i < body.Length; i++)
        {
            if (body.AsSpan(i).StartsWith(placeholder))
            {
                result.AddRange(id);
                i += placeholder.Length - 1;
            }
            else
            {
                result.Add(body[i]);
            }
        }
        return [.. result];
    }

    private static void AssertHasMessage(string body, string? field, string said)
    {
        JsonObject json;
        try
        {
            json = JsonNode.Parse(body)!.AsObject();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException)
        {
            Assert.Fail($"{said}\nthe error body is not a JSON object");
            return;
        }
        if (json["errors"] is JsonArray errors)
        {
            Assert.True(errors.Count > 0, said);
            Assert.All(errors, e => Assert.False(string.IsNullOrWhiteSpace((string?)e!["message"]), said));
            if (field is not null)
            {
                Assert.True(errors.Any(e => (string?)e!["field"] == field), $"{said}\nno error names '{field}'");
            }
            return;
        }
        Assert.False(string.IsNullOrWhiteSpace((string?)json["message"]), said);
        Assert.True(field is null, $"{said}\nexpected an error naming '{field}'");
    }

    /// <summary>What a refused request must leave as it was.</summary>
    private sealed record Snapshot(int Services, int Domains, int Flavors, int Purges, string Limits, string DeployedDocument, int DeployedVersion, string OtherStatus);

    private async Task<Snapshot> SnapshotAsync()
    {
        await using var scope = fixture.Api.Portal.Services.CreateAsyncScope(Actor.System());
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var deployed = await db.Set<CdnService>().AsNoTracking().SingleAsync(s => s.Id == fixture.DeployedId);
        var other = await db.Set<CdnService>().AsNoTracking().SingleAsync(s => s.Id == fixture.OtherProjectServiceId);
        var limits = await db.Set<ProjectServiceLimit>().AsNoTracking().OrderBy(l => l.ProjectId).Select(l => l.MaxServices).ToListAsync();
        return new Snapshot(
            await db.Set<CdnService>().CountAsync(), await db.Set<ServiceDomain>().CountAsync(), await db.Set<Flavor>().CountAsync(),
            await db.Set<ServicePurge>().CountAsync(), string.Join(",", limits), deployed.Document, deployed.Version, other.Status.WireName());
    }

    /// <summary>
    /// Everything stored passes the rules it was checked against on the way in: each live service's document (as a
    /// user edits it) passes the validator, holds no control character and fits the document limit; every domain
    /// row is canonical; flavors, purge paths and limits are as their rules allow.
    /// </summary>
    private async Task AssertStoredDataIsValidAsync(string name)
    {
        await using var scope = fixture.Api.Portal.Services.CreateAsyncScope(Actor.System());
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var live = await db.Set<CdnService>().AsNoTracking().Where(s => s.ArchivedAt == null).Select(s => new { s.Id, s.Version, s.UpdatedAt }).ToListAsync();
        // Documents are validated once per change, or the suite would re-read every document after every case.
        var changed = live.Where(s => !fixture.Validated.TryGetValue(s.Id, out var seen) || seen != (s.Version, s.UpdatedAt)).Select(s => s.Id).ToList();
        foreach (var service in await db.Set<CdnService>().AsNoTracking().Where(s => changed.Contains(s.Id)).ToListAsync())
        {
            var errors = ServiceSpecValidator.Validate(ServiceCatalog.ForEditing(service.ReadSpec()));
            Assert.True(errors.Count == 0, $"{name}: stored service {service.Id} fails validation: {string.Join("; ", errors)}");
            Assert.True(Encoding.UTF8.GetByteCount(service.Document) <= ServiceLimits.MaxDocumentBytes, $"{name}: stored service {service.Id} is too large");
            using var document = JsonDocument.Parse(service.Document);
            Assert.Null(FirstControlString(document.RootElement));
            Assert.False(TextRules.HasControl(service.Name), $"{name}: stored name has a control character");
            fixture.Validated[service.Id] = (service.Version, service.UpdatedAt);
        }
        Assert.All(await db.Set<ServiceDomain>().AsNoTracking().Select(d => d.Domain).ToListAsync(),
            domain => Assert.True(domain == HostNames.Canonical(domain) && !TextRules.HasControl(domain), $"{name}: stored domain '{domain}' is not canonical"));
        foreach (var flavor in await db.Set<Flavor>().AsNoTracking().Include(f => f.Providers).ToListAsync())
        {
            Assert.True(flavor.Id.Length is >= 3 and <= 64 && !flavor.Id.Contains('/') && !TextRules.HasControl(flavor.Id), $"{name}: stored flavor id '{flavor.Id}'");
            Assert.All(flavor.Providers, p => Assert.False(TextRules.HasControl(p.ProviderUrl), $"{name}: stored provider url of {flavor.Id}"));
        }
        foreach (var url in await db.Set<ServicePurge>().AsNoTracking().Select(p => p.Url).ToListAsync())
        {
            Assert.True(url is null || PurgeTarget.Check(url) is null, $"{name}: stored purge path '{url}' is not a normalized path");
        }
        Assert.All(await db.Set<ProjectServiceLimit>().AsNoTracking().Select(l => l.MaxServices).ToListAsync(), limit => Assert.True(limit >= 0));
    }

    private static string? FirstControlString(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => TextRules.HasControl(element.GetString()) ? element.GetString() : null,
        JsonValueKind.Array => element.EnumerateArray().Select(FirstControlString).FirstOrDefault(s => s is not null),
        JsonValueKind.Object => element.EnumerateObject().Select(p => TextRules.HasControl(p.Name) ? p.Name : FirstControlString(p.Value)).FirstOrDefault(s => s is not null),
        _ => null,
    };
}
