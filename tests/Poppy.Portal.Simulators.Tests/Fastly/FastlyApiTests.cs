using System.Net;
using Poppy.Portal.Simulators.Fastly;
using Poppy.Portal.Simulators.Tests.Infrastructure;

namespace Poppy.Portal.Simulators.Tests.Fastly;

public sealed class FastlyApiTests : SimulatorTest
{
    private FastlyCalls Api => new(Http, Simulator.Fastly.ApiBaseUrl);

    [Fact]
    public async Task Create_read_update_delete_purge_conversation_is_stored_and_answered_like_Fastly()
    {
        // Create: service (draft version 1), domain, backend, condition + cache settings, header, response object, ACL.
        var created = await Api.OkAsync(Api.PostAsync("/service", ("name", "www.example.com"), ("type", "vcl")));
        var sid = created["id"]!.GetValue<string>();
        Assert.Equal(22, sid.Length);
        Assert.False(created["versions"]![0]!["active"]!.GetValue<bool>());
        await Api.OkAsync(Api.PostAsync($"/service/{sid}/version/1/domain", ("name", "www.example.com")));
        var backend = await Api.OkAsync(Api.PostAsync($"/service/{sid}/version/1/backend",
            ("name", "origin"), ("address", "127.0.0.1"), ("port", Origin.Port.ToString()), ("use_ssl", "0"), ("override_host", "origin.example.com")));
        Assert.Equal(Origin.Port, backend["port"]!.GetValue<int>());
        await Api.OkAsync(Api.PostAsync($"/service/{sid}/version/1/condition",
            ("name", "img"), ("statement", "req.url ~ \"^/img/\""), ("type", "cache"), ("priority", "10")));
        var cacheSetting = await Api.OkAsync(Api.PostAsync($"/service/{sid}/version/1/cache_settings",
            ("name", "img"), ("action", "cache"), ("ttl", "1200"), ("cache_condition", "img")));
        Assert.Equal("1200", cacheSetting["ttl"]!.GetValue<string>());
        await Api.OkAsync(Api.PostAsync($"/service/{sid}/version/1/header",
            ("name", "x-sim"), ("type", "response"), ("action", "set"), ("dst", "http.X-Sim"), ("src", "\"yes\"")));
        await Api.OkAsync(Api.PostAsync($"/service/{sid}/version/1/response_object", ("name", "denied"), ("status", "403"), ("response", "Forbidden")));
        var acl = await Api.OkAsync(Api.PostAsync($"/service/{sid}/version/1/acl", ("name", "blocklist")));
        var aclId = acl["id"]!.GetValue<string>();
        await Api.OkAsync(Api.PostAsync($"/service/{sid}/acl/{aclId}/entry", ("ip", "192.0.2.0"), ("subnet", "24")));
        var validation = await Api.OkAsync(Api.GetAsync($"/service/{sid}/version/1/validate"));
        Assert.Equal("ok", validation["status"]!.GetValue<string>());
        var activated = await Api.OkAsync(Api.PutAsync($"/service/{sid}/version/1/activate"));
        Assert.True(activated["active"]!.GetValue<bool>());
        Assert.True(activated["locked"]!.GetValue<bool>());

        var stored = Simulator.Fastly.FindService(sid)!;
        var v1 = stored.ActiveVersion!;
        Assert.Equal(1, v1.Number);
        Assert.Equal("www.example.com", Assert.Single(v1.Domains).Name);
        Assert.Equal("origin.example.com", Assert.Single(v1.Backends)["override_host"]);
        Assert.Equal("CACHE", Assert.Single(v1.Conditions)["type"]);
        Assert.Equal("img", Assert.Single(v1.CacheSettings)["cache_condition"]);
        Assert.Single(v1.Headers);
        Assert.Equal("403", Assert.Single(v1.ResponseObjects)["status"]);
        Assert.Equal("192.0.2.0", Assert.Single(stored.AclEntries).Ip);

        // Read
        var details = await Api.OkAsync(Api.GetAsync($"/service/{sid}/details"));
        Assert.Equal(1, details["active_version"]!["number"]!.GetValue<int>());
        Assert.Equal("www.example.com", details["active_version"]!["domains"]![0]!["name"]!.GetValue<string>());
        var found = await Api.OkAsync(Api.GetAsync("/service/search?name=www.example.com"));
        Assert.Equal(sid, found["id"]!.GetValue<string>());

        // An active version is locked: edits are refused until cloned.
        using (var locked = await Api.PostAsync($"/service/{sid}/version/1/domain", ("name", "img.example.com")))
        {
            AssertStatus(HttpStatusCode.BadRequest, locked);
            var error = await JsonOf(locked);
            Assert.Equal("Bad request", error["msg"]!.GetValue<string>());
            Assert.Contains("locked", error["detail"]!.GetValue<string>());
        }

        // Update: clone, edit the draft, activate it.
        var clone = await Api.OkAsync(Api.PutAsync($"/service/{sid}/version/1/clone"));
        Assert.Equal(2, clone["number"]!.GetValue<int>());
        await Api.OkAsync(Api.PutAsync($"/service/{sid}/version/2/backend/origin", ("first_byte_timeout", "30000")));
        await Api.OkAsync(Api.PostAsync($"/service/{sid}/version/2/domain", ("name", "img.example.com")));
        await Api.OkAsync(Api.DeleteAsync($"/service/{sid}/version/2/header/x-sim"));
        await Api.OkAsync(Api.PutAsync($"/service/{sid}/version/2/settings", ("general.default_ttl", "600")));
        await Api.OkAsync(Api.PutAsync($"/service/{sid}/version/2/activate"));
        stored = Simulator.Fastly.FindService(sid)!;
        Assert.False(stored.Version(1)!.Active);
        Assert.True(stored.Version(1)!.Locked);
        var v2 = stored.ActiveVersion!;
        Assert.Equal(2, v2.Number);
        Assert.Equal("30000", v2.Backends[0]["first_byte_timeout"]);
        Assert.Equal(["www.example.com", "img.example.com"], v2.Domains.Select(d => d.Name));
        Assert.Empty(v2.Headers);
        Assert.Equal(600, v2.DefaultTtlSeconds);
        Assert.Equal(aclId, v2.Acls[0].Id); // ACL ids survive a clone; their entries are versionless

        // Purge everything
        var purged = await Api.OkAsync(Api.PostAsync($"/service/{sid}/purge_all"));
        Assert.Equal("ok", purged["status"]!.GetValue<string>());
        Assert.Contains(Simulator.Fastly.Purges, p => p.ServiceId == sid && p.Kind == FastlyPurgeKind.All);

        // Delete: refused while a version is active, allowed after deactivation.
        using (var refused = await Api.DeleteAsync($"/service/{sid}"))
        {
            AssertStatus(HttpStatusCode.BadRequest, refused);
            var error = await JsonOf(refused);
            Assert.Equal("Cannot delete service with active version", error["detail"]!.GetValue<string>());
        }

        await Api.OkAsync(Api.PutAsync($"/service/{sid}/version/2/deactivate"));
        var deleted = await Api.OkAsync(Api.DeleteAsync($"/service/{sid}"));
        Assert.Equal("ok", deleted["status"]!.GetValue<string>());
        Assert.Empty(Simulator.Fastly.Services);
        using var gone = await Api.GetAsync($"/service/{sid}");
        AssertStatus(HttpStatusCode.NotFound, gone);
        Assert.Equal("Record not found", (await JsonOf(gone))["msg"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-the-key")]
    public async Task Missing_or_wrong_key_is_refused_with_401(string? key)
    {
        var api = new FastlyCalls(Http, Simulator.Fastly.ApiBaseUrl, key);
        using var response = await api.PostAsync("/service", ("name", "x"));
        AssertStatus(HttpStatusCode.Unauthorized, response);
        Assert.Equal("Provided credentials are missing or invalid", (await JsonOf(response))["msg"]!.GetValue<string>());
        Assert.Empty(Simulator.Fastly.Services);
    }

    [Fact]
    public async Task Validation_errors_come_back_as_msg_and_detail()
    {
        var sid = (await Api.OkAsync(Api.PostAsync("/service", ("name", "a"))))["id"]!.GetValue<string>();
        using var missing = await Api.PostAsync($"/service/{sid}/version/1/backend", ("name", "origin"));
        AssertStatus(HttpStatusCode.BadRequest, missing);
        Assert.Contains("address", (await JsonOf(missing))["detail"]!.GetValue<string>());

        using var badType = await Api.PostAsync($"/service/{sid}/version/1/condition", ("name", "c"), ("statement", "true"), ("type", "SOMETIMES"));
        AssertStatus(HttpStatusCode.BadRequest, badType);

        await Api.OkAsync(Api.PostAsync($"/service/{sid}/version/1/domain", ("name", "www.example.com")));
        using var duplicate = await Api.PostAsync($"/service/{sid}/version/1/domain", ("name", "www.example.com"));
        AssertStatus(HttpStatusCode.Conflict, duplicate);

        var other = (await Api.OkAsync(Api.PostAsync("/service", ("name", "b"))))["id"]!.GetValue<string>();
        using var taken = await Api.PostAsync($"/service/{other}/version/1/domain", ("name", "www.example.com"));
        AssertStatus(HttpStatusCode.BadRequest, taken);
        Assert.Contains("already taken", (await JsonOf(taken))["detail"]!.GetValue<string>());

        using var noBackends = await Api.PutAsync($"/service/{sid}/version/1/activate");
        AssertStatus(HttpStatusCode.BadRequest, noBackends);

        using var unknownVersion = await Api.GetAsync($"/service/{sid}/version/9");
        AssertStatus(HttpStatusCode.NotFound, unknownVersion);
    }

    [Fact]
    public async Task Acl_entries_bulk_update_and_unknown_routes_answer_in_Fastly_shape()
    {
        var sid = (await Api.OkAsync(Api.PostAsync("/service", ("name", "a"))))["id"]!.GetValue<string>();
        var aclId = (await Api.OkAsync(Api.PostAsync($"/service/{sid}/version/1/acl", ("name", "blocklist"))))["id"]!.GetValue<string>();
        using var bulk = new HttpRequestMessage(HttpMethod.Patch, new Uri(Simulator.Fastly.ApiBaseUrl, $"service/{sid}/acl/{aclId}/entries"))
        {
            Content = new StringContent("""{"entries":[{"op":"create","ip":"198.51.100.7"},{"op":"create","ip":"203.0.113.0","subnet":24,"negated":1}]}""",
                System.Text.Encoding.UTF8, "application/json"),
        };
        bulk.Headers.Add("Fastly-Key", "sim-fastly-api-key");
        using (var response = await Http.SendAsync(bulk))
        {
            AssertStatus(HttpStatusCode.OK, response);
        }

        var entries = Simulator.Fastly.FindService(sid)!.AclEntries;
        Assert.Equal(2, entries.Count);
        Assert.True(entries.Single(e => e.Ip == "203.0.113.0").Negated);

        using var unknown = await Api.GetAsync("/no/such/thing");
        AssertStatus(HttpStatusCode.NotFound, unknown);
        Assert.Equal("Record not found", (await JsonOf(unknown))["msg"]!.GetValue<string>());
    }
}

public sealed class FastlyRateLimitTests : SimulatorTest
{
    private FastlyCalls Api => new(Http, Simulator.Fastly.ApiBaseUrl);

    protected override void Configure(SimulatorOptions options) => options.Fastly.HourlyRateLimit = 2;

    [Fact]
    public async Task Writes_count_against_the_hourly_limit_and_the_429_carries_the_reset()
    {
        using (var first = await Api.PostAsync("/service", ("name", "one")))
        {
            Assert.Equal("1", Header(first, "Fastly-RateLimit-Remaining"));
        }

        using (var second = await Api.PostAsync("/service", ("name", "two")))
        {
            Assert.Equal("0", Header(second, "Fastly-RateLimit-Remaining"));
        }

        var windowEnd = (Clock.GetUtcNow().ToUnixTimeSeconds() / 3600 + 1) * 3600;
        using (var third = await Api.PostAsync("/service", ("name", "three")))
        {
            AssertStatus(HttpStatusCode.TooManyRequests, third);
            Assert.Equal(windowEnd.ToString(), Header(third, "Fastly-RateLimit-Reset"));
            Assert.NotNull((await JsonOf(third))["msg"]);
        }

        using (var read = await Api.GetAsync("/service"))
        {
            AssertStatus(HttpStatusCode.OK, read); // reads are not limited
        }

        var sid = Simulator.Fastly.Services[0].Id;
        using (var keyPurge = await Api.PostAsync($"/service/{sid}/purge/some-key"))
        {
            AssertStatus(HttpStatusCode.OK, keyPurge); // key purges are not counted
        }

        Clock.Advance(TimeSpan.FromHours(1));
        using var nextHour = await Api.PostAsync("/service", ("name", "three"));
        AssertStatus(HttpStatusCode.OK, nextHour);
        Assert.Equal(3, Simulator.Fastly.Services.Count);
    }
}
