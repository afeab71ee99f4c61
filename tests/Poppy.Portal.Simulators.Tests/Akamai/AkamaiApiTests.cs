using System.Net;
using Poppy.Portal.Providers.Signing;
using Poppy.Portal.Simulators.Akamai;
using Poppy.Portal.Simulators.Faults;
using Poppy.Portal.Simulators.Tests.Infrastructure;
using static Poppy.Portal.Simulators.Tests.Akamai.AkamaiCalls;

namespace Poppy.Portal.Simulators.Tests.Akamai;

public sealed class AkamaiApiTests : SimulatorTest
{
    private AkamaiCalls Api => new(Simulator.Akamai.ApiBaseUrl, Clock);

    [Fact]
    public async Task Property_create_activate_new_version_purge_deactivate_delete_conversation()
    {
        using var api = Api;
        var (propertyId, _) = await api.CreatePropertyAsync("www.example.com", Origin.Port);

        // The activation walks PENDING → ZONE_n → ACTIVE on the fake clock (DeployDelay is 5 minutes here).
        var activations = await api.OkAsync(api.SendAsync(HttpMethod.Get, $"papi/v1/properties/{propertyId}/activations?{Query}"));
        var activationId = activations["activations"]!["items"]![0]!["activationId"]!.GetValue<string>();
        async Task<string> ActivationStatusAsync() =>
            (await api.OkAsync(api.SendAsync(HttpMethod.Get, $"papi/v1/properties/{propertyId}/activations/{activationId}?{Query}")))
                ["activations"]!["items"]![0]!["status"]!.GetValue<string>();
        Assert.Equal("PENDING", await ActivationStatusAsync());
        Clock.Advance(TimeSpan.FromMinutes(3));
        Assert.Equal("ZONE_2", await ActivationStatusAsync());
        Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal("ACTIVE", await ActivationStatusAsync());

        var read = await api.OkAsync(api.SendAsync(HttpMethod.Get, $"papi/v1/properties/{propertyId}?{Query}"));
        Assert.Equal(1, read["properties"]!["items"]![0]!["productionVersion"]!.GetValue<int>());
        var stored = Simulator.Akamai.FindProperty(propertyId)!;
        Assert.Equal("www.example.com", Assert.Single(stored.LatestVersion.Hostnames).CnameFrom);
        Assert.Equal("www.example.com.edgesuite.net", Assert.Single(Simulator.Akamai.EdgeHostnames).Domain);

        // An activated version is locked; changes go into a new version created from it (with its etag).
        using (var locked = await api.SendAsync(HttpMethod.Put, $"papi/v1/properties/{propertyId}/versions/1/rules?{Query}", Rules(Origin.Port, "2h")))
        {
            AssertStatus(HttpStatusCode.Forbidden, locked);
            Assert.Equal("application/problem+json", locked.Content.Headers.ContentType!.MediaType);
            Assert.Contains("not-editable", (await JsonOf(locked))["type"]!.GetValue<string>());
        }

        var rules = await api.OkAsync(api.SendAsync(HttpMethod.Get, $"papi/v1/properties/{propertyId}/versions/1/rules?{Query}"));
        var created = await api.OkAsync(api.SendAsync(HttpMethod.Post, $"papi/v1/properties/{propertyId}/versions?{Query}",
            $$"""{"createFromVersion":1,"createFromVersionEtag":"{{rules["etag"]}}"}"""), HttpStatusCode.Created);
        Assert.Equal("2", IdOf(created, "versionLink"));
        var v2 = await api.OkAsync(api.SendAsync(HttpMethod.Get, $"papi/v1/properties/{propertyId}/versions/2/rules?{Query}"));
        using (var staleEtag = await api.SendAsync(HttpMethod.Put, $"papi/v1/properties/{propertyId}/versions/2/rules?{Query}", Rules(Origin.Port, "2h"), "\"not-the-etag\""))
        {
            AssertStatus(HttpStatusCode.PreconditionFailed, staleEtag);
        }

        var updated = await api.OkAsync(api.SendAsync(HttpMethod.Put, $"papi/v1/properties/{propertyId}/versions/2/rules?{Query}",
            Rules(Origin.Port, "2h"), $"\"{v2["etag"]}\""));
        Assert.Empty(updated["errors"]!.AsArray());
        await api.OkAsync(api.SendAsync(HttpMethod.Post, $"papi/v1/properties/{propertyId}/activations?{Query}",
            """{"propertyVersion":2,"network":"PRODUCTION","notifyEmails":["ops@example.com"]}"""), HttpStatusCode.Created);
        Assert.Equal(1, Simulator.Akamai.ActiveVersion(propertyId, AkamaiNetworks.Production)); // v1 serves until v2 is out
        Clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(2, Simulator.Akamai.ActiveVersion(propertyId, AkamaiNetworks.Production));
        Assert.Contains("\"2h\"", Simulator.Akamai.FindProperty(propertyId)!.Version(2)!.RulesJson);

        // Fast Purge: 201 with estimatedSeconds.
        var purge = await api.OkAsync(api.SendAsync(HttpMethod.Post, "ccu/v3/delete/url/production",
            """{"objects":["http://www.example.com/a.png"]}"""), HttpStatusCode.Created);
        Assert.Equal(201, purge["httpStatus"]!.GetValue<int>());
        Assert.Equal(5, purge["estimatedSeconds"]!.GetValue<int>());
        Assert.Equal(purge["purgeId"]!.GetValue<string>(), Assert.Single(Simulator.Akamai.Purges).PurgeId);

        // Delete: refused while active; deactivate, wait, delete.
        using (var active = await api.SendAsync(HttpMethod.Delete, $"papi/v1/properties/{propertyId}?{Query}"))
        {
            AssertStatus(HttpStatusCode.Forbidden, active);
        }

        await api.OkAsync(api.SendAsync(HttpMethod.Post, $"papi/v1/properties/{propertyId}/activations?{Query}",
            """{"propertyVersion":2,"network":"PRODUCTION","notifyEmails":["ops@example.com"],"activationType":"DEACTIVATE"}"""), HttpStatusCode.Created);
        Clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Null(Simulator.Akamai.ActiveVersion(propertyId, AkamaiNetworks.Production));
        await api.OkAsync(api.SendAsync(HttpMethod.Delete, $"papi/v1/properties/{propertyId}?{Query}"));
        Assert.Empty(Simulator.Akamai.Properties);
        using var gone = await api.SendAsync(HttpMethod.Get, $"papi/v1/properties/{propertyId}?{Query}");
        AssertStatus(HttpStatusCode.NotFound, gone);
        Assert.Equal(404, (await JsonOf(gone))["status"]!.GetValue<int>());
    }

    [Fact]
    public async Task EdgeGrid_failures_are_problem_json_from_the_gateway()
    {
        using var unsigned = new HttpClient();
        using (var missing = await unsigned.GetAsync(new Uri(Simulator.Akamai.ApiBaseUrl, $"papi/v1/properties?{Query}")))
        {
            AssertStatus(HttpStatusCode.BadRequest, missing);
            Assert.Equal("application/problem+json", missing.Content.Headers.ContentType!.MediaType);
            Assert.Contains("pep-authn", (await JsonOf(missing))["type"]!.GetValue<string>());
        }

        using var wrongSecret = new AkamaiCalls(Simulator.Akamai.ApiBaseUrl, Clock, new EdgeGridCredentials(
            "akab-sim-client-token-0000-000000000000", "d3Jvbmctc2VjcmV0", "akab-sim-access-token-0000-000000000000"));
        using (var mismatch = await wrongSecret.SendAsync(HttpMethod.Post, $"papi/v1/properties?{Query}", """{"productId":"prd_Fresca","propertyName":"x"}"""))
        {
            AssertStatus(HttpStatusCode.Unauthorized, mismatch);
            Assert.Equal("The signature does not match", (await JsonOf(mismatch))["detail"]!.GetValue<string>());
        }

        Assert.Empty(Simulator.Akamai.Properties);
    }

    [Fact]
    public async Task Missing_contract_bad_bodies_and_activation_of_rules_without_origin_are_refused()
    {
        using var api = Api;
        using (var noContract = await api.SendAsync(HttpMethod.Post, "papi/v1/properties", """{"productId":"prd_Fresca","propertyName":"x"}"""))
        {
            AssertStatus(HttpStatusCode.BadRequest, noContract);
        }

        var property = await api.OkAsync(api.SendAsync(HttpMethod.Post, $"papi/v1/properties?{Query}",
            """{"productId":"prd_Fresca","propertyName":"bare.example.com","ruleFormat":"latest"}"""), HttpStatusCode.Created);
        var propertyId = IdOf(property, "propertyLink");
        var rules = await api.OkAsync(api.SendAsync(HttpMethod.Get, $"papi/v1/properties/{propertyId}/versions/1/rules?{Query}"));
        Assert.NotEmpty(rules["errors"]!.AsArray()); // no origin behavior yet
        using var blocked = await api.SendAsync(HttpMethod.Post, $"papi/v1/properties/{propertyId}/activations?{Query}",
            """{"propertyVersion":1,"network":"STAGING","notifyEmails":["ops@example.com"]}""");
        AssertStatus(HttpStatusCode.BadRequest, blocked);
        Assert.Empty(Simulator.Akamai.Activations);
    }

    [Fact]
    public async Task Throttling_is_a_429_problem_with_rate_limit_fields_and_Retry_After()
    {
        Simulator.Akamai.Faults.Set(new FaultProfile { ThrottleBurst = new ThrottleBurst(1, 4) });
        using var api = Api;
        using (var throttled = await api.SendAsync(HttpMethod.Get, $"papi/v1/properties?{Query}"))
        {
            AssertStatus(HttpStatusCode.TooManyRequests, throttled);
            Assert.Equal("4", Header(throttled, "Retry-After"));
            Assert.Equal("0", Header(throttled, "X-RateLimit-Remaining"));
            var problem = await JsonOf(throttled);
            Assert.Equal(0, problem["remaining"]!.GetValue<int>());
            Assert.NotNull(problem["limitKey"]);
        }

        using var next = await api.SendAsync(HttpMethod.Get, $"papi/v1/properties?{Query}");
        AssertStatus(HttpStatusCode.OK, next);
    }
}
