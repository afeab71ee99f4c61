using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Polly.CircuitBreaker;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Audit;
using Poppy.Portal.Core.Features.Flavors;
using Poppy.Portal.Core.Features.Providers;
using Poppy.Portal.Core.Features.Provisioning;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Core.Features.Users;
using Poppy.Portal.Simulators;
using Poppy.Portal.Simulators.Faults;
using Poppy.Portal.Web.Tests.Api;
using Poppy.Portal.Web.Tests.Services;

namespace Poppy.Portal.Web.Tests.Provisioning;

/// <summary>
/// Provisioning end to end: API → operations → Quartz job → drivers → simulators over loopback → status, with faults
/// injected at the simulators. One portal for the class; the tests run one after another and reset the faults.
/// </summary>
public sealed class ProvisioningTests(ProvisioningPortal fixture) : IClassFixture<ProvisioningPortal>, IDisposable
{
    private static readonly CdnVendor[] AllVendors = [CdnVendor.Fastly, CdnVendor.CloudFront, CdnVendor.Akamai, CdnVendor.MaxCdn];

    public void Dispose() => fixture.ResetFaults();

    [Fact]
    public async Task A_service_goes_through_create_update_purge_and_delete_at_all_four_vendors()
    {
        var document = ProvisioningPortal.NewService();
        var id = await ApiFixture.CreateAsync(fixture.Admin, document);

        var deployed = await fixture.WaitForStatusAsync(id, "deployed");
        var providers = deployed!["providers"]!.AsArray();
        Assert.Equal(4, providers.Count);
        Assert.All(providers, p => Assert.Equal("deployed", p!["status"]!.GetValue<string>()));
        // What a vendor cannot express is reported on the service: the simulator account has no ACM certificate for aliases.
        var cloudFront = providers.Single(p => p!["provider"]!.GetValue<string>() == "sim-cloudfront")!;
        Assert.Contains(cloudFront["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("not added as CloudFront aliases"));
        Assert.Equal(4, deployed["links"]!.AsArray().Count(l => l!["rel"]!.GetValue<string>() == "access_url"));
        var creates = await fixture.OperationsAsync(id);
        Assert.Equal(4, creates.Count);
        Assert.All(creates, o =>
        {
            Assert.Equal(OperationKind.Create, o.Kind);
            Assert.Equal(OperationState.Succeeded, o.State);
            Assert.True(o.Attempts >= 1);
            Assert.NotNull(o.StartedAt);
            Assert.True(o.FinishedAt >= o.StartedAt);
            Assert.False(string.IsNullOrEmpty(o.ProviderServiceId));
        });
        AssertOneResourceEach(id);

        // Update: a second domain reaches the vendors.
        var domain = ApiFixture.UniqueDomain();
        using (var patch = await fixture.Admin.PatchAsJsonAsync($"/v1.0/services/{id}",
                   new JsonArray(new JsonObject { ["op"] = "add", ["path"] = "/domains/-", ["value"] = new JsonObject { ["domain"] = domain, ["protocol"] = "http" } })))
        {
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
        }
        await fixture.WaitForStatusAsync(id, "deployed");
        var fastly = fixture.Simulators.Fastly.Services.Single(s => s.Name == $"poppy-{id:D}");
        Assert.Contains(domain, fastly.ActiveVersion!.Domains.Select(d => d.Name));
        Assert.Equal(4, (await fixture.OperationsAsync(id)).Count(o => o.Kind == OperationKind.Update && o.State == OperationState.Succeeded));
        AssertOneResourceEach(id);

        // Purge everything: every vendor is asked, and the purge is marked done.
        var fastlyPurges = fixture.Simulators.Fastly.Purges.Count;
        using (var purge = await fixture.Admin.DeleteAsync($"/v1.0/services/{id}/assets?all=true"))
        {
            Assert.Equal(HttpStatusCode.Accepted, purge.StatusCode);
        }
        await WaitUntilAsync(async () => await PurgesDoneAsync(id), "the purge to complete");
        Assert.True(fixture.Simulators.Fastly.Purges.Count > fastlyPurges);
        Assert.Equal(4, (await fixture.OperationsAsync(id)).Count(o => o.Kind == OperationKind.Purge && o.State == OperationState.Succeeded));

        // Delete: gone from the API and from every vendor.
        using (var delete = await fixture.Admin.DeleteAsync($"/v1.0/services/{id}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        }
        await fixture.WaitForStatusAsync(id, null);
        Assert.All(fixture.VendorResources(id), r => Assert.Equal(0, r.Value));
    }

    [Fact]
    public async Task A_deployed_service_links_an_access_url_with_an_href_for_every_provider_and_domain()
    {
        var document = ProvisioningPortal.NewService();
        document["domains"]!.AsArray().Add(new JsonObject { ["domain"] = ApiFixture.UniqueDomain(), ["protocol"] = "http" });
        var id = await ApiFixture.CreateAsync(fixture.Admin, document);

        var deployed = (await fixture.WaitForStatusAsync(id, "deployed"))!;

        var domains = deployed["domains"]!.AsArray().Select(d => d!["domain"]!.GetValue<string>()).ToList();
        var links = deployed["links"]!.AsArray().Where(l => l!["rel"]!.GetValue<string>() == "access_url").Select(l => l!.AsObject()).ToList();
        string[] providers = ["sim-akamai", "sim-cloudfront", "sim-fastly", "sim-maxcdn"];
        Assert.Equal(providers.Length * domains.Count, links.Count);
        foreach (var provider in providers)
        {
            foreach (var domain in domains)
            {
                var link = Assert.Single(links, l => l["provider"]!.GetValue<string>() == provider && l["domain"]!.GetValue<string>() == domain);
                // The CNAME target a Poppy client reads: a host name, never null.
                var href = link["href"]?.GetValue<string>();
                Assert.False(string.IsNullOrWhiteSpace(href), $"{provider} {domain}: {link.ToJsonString()}");
                Assert.DoesNotContain("/", href);
            }
        }
    }

    [Fact]
    public async Task Polling_a_vendors_rollout_is_not_counted_as_an_attempt()
    {
        var id = await ApiFixture.CreateAsync(fixture.Admin, ProvisioningPortal.NewService());

        await fixture.WaitForStatusAsync(id, "deployed");

        var creates = await fixture.OperationsAsync(id);
        // CloudFront and Akamai roll out for the simulators' deploy delay (300 ms) and are polled meanwhile (every 200 ms at most).
        var cloudFront = creates.Single(o => o.ProviderName == "sim-cloudfront");
        Assert.True(cloudFront.FinishedAt - cloudFront.StartedAt >= TimeSpan.FromMilliseconds(300), $"took {cloudFront.FinishedAt - cloudFront.StartedAt}");
        // Without faults every vendor took the change at the first try; the polls are not tries.
        Assert.All(creates, o => Assert.True(o.Attempts == 1, $"{o.ProviderName}: {o.Attempts} attempts"));
    }

    [Fact]
    public async Task Transient_errors_and_429_bursts_still_converge_to_deployed_without_duplicates()
    {
        foreach (var vendor in fixture.Simulators.Vendors)
        {
            vendor.Faults.Set(new FaultProfile { ErrorRate = 0.2, ThrottleBurst = new ThrottleBurst(6, 1) });
        }
        var ids = new List<Guid>();
        for (var i = 0; i < 6; i++)
        {
            ids.Add(await ApiFixture.CreateAsync(fixture.Admin, ProvisioningPortal.NewService()));
        }

        foreach (var id in ids)
        {
            await fixture.WaitForStatusAsync(id, "deployed", TimeSpan.FromSeconds(90));
            AssertOneResourceEach(id);
        }
        var operations = (await Task.WhenAll(ids.Select(fixture.OperationsAsync))).SelectMany(o => o).ToList();
        Assert.All(operations, o => Assert.Equal(OperationState.Succeeded, o.State));
        // The faults were really met: some calls needed more than one attempt.
        Assert.Contains(operations, o => o.Attempts > 1);
    }

    [Fact]
    public async Task A_Retry_After_longer_than_a_run_waits_is_honoured_by_coming_back_after_it_and_the_success_clears_the_error()
    {
        var (_, flavor) = await AddFlavorWithOwnFastlyAccountAsync("fastly-retry-after", apiKey: "sim-fastly-api-key");
        // The test portal waits at most 1 s between retries within a run; Fastly asks for 2 s.
        fixture.Simulators.Fastly.Faults.Set(new FaultProfile { ThrottleBurst = new ThrottleBurst(1, 2) });
        var id = await ApiFixture.CreateAsync(fixture.Admin, ProvisioningPortal.NewService(flavor));

        await fixture.WaitForStatusAsync(id, "deployed");
        var operation = Assert.Single(await fixture.OperationsAsync(id));
        Assert.Equal(2, operation.Attempts);
        Assert.True(operation.FinishedAt - operation.StartedAt >= TimeSpan.FromSeconds(2), $"finished after {operation.FinishedAt - operation.StartedAt}");
        // The 429 it met on the way no longer describes an operation that succeeded.
        Assert.Null(operation.LastError);
    }

    [Fact]
    public async Task A_permanent_error_fails_fast_with_the_vendors_message_and_a_retry_after_the_fix_deploys()
    {
        var (accountId, flavor) = await AddFlavorWithOwnFastlyAccountAsync("fastly-wrong-key", apiKey: "not-the-right-key");
        var id = await ApiFixture.CreateAsync(fixture.Admin, ProvisioningPortal.NewService(flavor));

        var failed = await fixture.WaitForStatusAsync(id, "failed");
        var operation = Assert.Single(await fixture.OperationsAsync(id));
        Assert.Equal(OperationState.Failed, operation.State);
        Assert.Equal(1, operation.Attempts);
        var error = failed!["providers"]![0]!["error"]!.GetValue<string>();
        // Fastly's own words for a bad key reach the user.
        Assert.Contains("Provided credentials are missing or invalid", error, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, fixture.VendorResources(id)[CdnVendor.Fastly]);

        // Fix the credentials, retry the failed provider: it deploys.
        await using (var scope = fixture.Portal.Services.CreateAsyncScope(Actor.System()))
        {
            var accounts = scope.ServiceProvider.GetRequiredService<ProviderAccountDirectory>();
            var account = (await accounts.FindAsync(accountId, CancellationToken.None))!;
            var updated = await accounts.UpdateAsync(accountId, new ProviderAccountSpec(account.Name, ProviderKind.Fastly,
                fixture.Simulators.Fastly.ApiBaseUrl.ToString(), new Dictionary<string, string?> { ["api_key"] = "sim-fastly-api-key" }), CancellationToken.None);
            Assert.True(updated.Succeeded, string.Join("; ", updated.Errors));
            var projectId = await fixture.Portal.ProjectIdAsync(PortalFactory.FirstProject);
            var retried = await scope.ServiceProvider.GetRequiredService<ProvisioningOperations>().RetryAsync(projectId, operation.Id, CancellationToken.None);
            Assert.True(retried.Succeeded, string.Join("; ", retried.Errors));
        }
        await fixture.WaitForStatusAsync(id, "deployed");
        Assert.Equal(1, fixture.VendorResources(id)[CdnVendor.Fastly]);
    }

    [Fact]
    public async Task A_failed_service_can_be_edited_and_the_edit_is_provisioned()
    {
        var (_, flavor) = await AddFlavorWithOwnFastlyAccountAsync("fastly-edit-after-fail", apiKey: "sim-fastly-api-key");
        fixture.Simulators.Fastly.Faults.Set(new FaultProfile { Outage = true });
        var id = await ApiFixture.CreateAsync(fixture.Admin, ProvisioningPortal.NewService(flavor));
        // An outage is transient: the operation keeps retrying; an administrator gives up on it.
        await WaitUntilAsync(async () => (await fixture.OperationsAsync(id)).Any(o => o.Attempts > 1), "a retry");
        await fixture.Portal.SetServiceStatusAsync(id, ProviderStatus.Failed);
        fixture.ResetFaults();

        var domain = ApiFixture.UniqueDomain();
        using (var patch = await fixture.Admin.PatchAsJsonAsync($"/v1.0/services/{id}",
                   new JsonArray(new JsonObject { ["op"] = "replace", ["path"] = "/domains/0", ["value"] = new JsonObject { ["domain"] = domain, ["protocol"] = "http" } })))
        {
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
        }
        await fixture.WaitForStatusAsync(id, "deployed");
        var operations = await fixture.OperationsAsync(id);
        Assert.Equal(OperationState.Cancelled, operations[0].State);
        Assert.Equal(OperationState.Succeeded, operations[^1].State);
        Assert.Equal(1, fixture.VendorResources(id)[CdnVendor.Fastly]);
    }

    [Fact]
    public async Task The_circuit_of_an_account_opens_during_an_outage_and_closes_after_it()
    {
        var (accountId, flavor) = await AddFlavorWithOwnFastlyAccountAsync("fastly-circuit", apiKey: "sim-fastly-api-key");
        var resilience = fixture.Portal.Services.GetRequiredService<ProviderResilience>();
        fixture.Simulators.Fastly.Faults.Set(new FaultProfile { Outage = true });
        var id = await ApiFixture.CreateAsync(fixture.Admin, ProvisioningPortal.NewService(flavor));

        await WaitUntilAsync(() => Task.FromResult(resilience.CircuitStateOf(accountId) == CircuitState.Open), "the circuit to open");
        var open = Assert.Single(await fixture.OperationsAsync(id));
        Assert.True(open.IsPending, $"{open.State}");

        fixture.ResetFaults();
        await fixture.WaitForStatusAsync(id, "deployed");
        Assert.Equal(CircuitState.Closed, resilience.CircuitStateOf(accountId));
        Assert.Equal(1, fixture.VendorResources(id)[CdnVendor.Fastly]);
    }

    [Fact]
    public async Task One_services_server_errors_leave_the_shared_circuit_closed_and_the_accounts_other_services_deploy()
    {
        var (accountId, flavor) = await AddFlavorWithOwnFastlyAccountAsync("fastly-one-bad-service", apiKey: "sim-fastly-api-key");
        var resilience = fixture.Portal.Services.GetRequiredService<ProviderResilience>();
        // Fastly answers 500 to every request about this service's configuration (its name is in them), and serves the rest.
        var marker = $"chokes-{Guid.NewGuid():N}"[..20];
        fixture.Simulators.Fastly.Faults.Set(new FaultProfile { FailMatching = new FailingRequests(marker, 500) });
        await using var watch = CircuitWatch.Start(resilience, accountId);

        var bad = ProvisioningPortal.NewService(flavor);
        bad["name"] = marker;
        var badId = await ApiFixture.CreateAsync(fixture.Admin, bad);
        // Two runs of five attempts: ten failed requests, more than the circuit's minimum throughput (4) and all failures.
        await WaitUntilAsync(async () => (await fixture.OperationsAsync(badId)).Single().Attempts >= 10, "the bad service's retries");
        var others = new[] { await ApiFixture.CreateAsync(fixture.Admin, ProvisioningPortal.NewService(flavor)),
            await ApiFixture.CreateAsync(fixture.Admin, ProvisioningPortal.NewService(flavor)) };
        foreach (var other in others)
        {
            await fixture.WaitForStatusAsync(other, "deployed");
        }

        Assert.False(await watch.StopAsync(), "the account's circuit opened on one service's errors");
        var failing = Assert.Single(await fixture.OperationsAsync(badId));
        Assert.True(failing.IsPending, $"{failing.State}");
        Assert.Contains("HTTP 500", failing.LastError);
        Assert.Equal(0, fixture.VendorResources(badId)[CdnVendor.Fastly]);
        Assert.All(others, id => Assert.Equal(1, fixture.VendorResources(id)[CdnVendor.Fastly]));
    }

    [Fact]
    public async Task Server_errors_that_several_services_meet_still_open_the_circuit()
    {
        var (accountId, flavor) = await AddFlavorWithOwnFastlyAccountAsync("fastly-failing-everywhere", apiKey: "sim-fastly-api-key");
        var resilience = fixture.Portal.Services.GetRequiredService<ProviderResilience>();
        // Every request about any service (they all name a poppy-<id> service) gets a 500: the vendor is broken, not a config.
        fixture.Simulators.Fastly.Faults.Set(new FaultProfile { FailMatching = new FailingRequests("poppy-", 500) });

        var ids = new[] { await ApiFixture.CreateAsync(fixture.Admin, ProvisioningPortal.NewService(flavor)),
            await ApiFixture.CreateAsync(fixture.Admin, ProvisioningPortal.NewService(flavor)) };
        await WaitUntilAsync(() => Task.FromResult(resilience.CircuitStateOf(accountId) == CircuitState.Open), "the circuit to open");

        fixture.ResetFaults();
        foreach (var id in ids)
        {
            await fixture.WaitForStatusAsync(id, "deployed");
        }
        Assert.Equal(CircuitState.Closed, resilience.CircuitStateOf(accountId));
    }

    [Fact]
    public async Task A_burst_of_refused_configurations_leaves_the_shared_circuit_closed()
    {
        var (accountId, flavor) = await AddFlavorWithOwnFastlyAccountAsync("fastly-refusals", apiKey: "sim-fastly-api-key");
        var resilience = fixture.Portal.Services.GetRequiredService<ProviderResilience>();
        var marker = $"refused-{Guid.NewGuid():N}"[..20];
        fixture.Simulators.Fastly.Faults.Set(new FaultProfile { FailMatching = new FailingRequests(marker, 422) });
        await using var watch = CircuitWatch.Start(resilience, accountId);

        var refused = new List<Guid>();
        for (var i = 0; i < 8; i++)
        {
            var document = ProvisioningPortal.NewService(flavor);
            document["name"] = $"{marker}-{i}";
            refused.Add(await ApiFixture.CreateAsync(fixture.Admin, document));
        }
        foreach (var id in refused)
        {
            await fixture.WaitForStatusAsync(id, "failed");
        }
        var good = await ApiFixture.CreateAsync(fixture.Admin, ProvisioningPortal.NewService(flavor));
        await fixture.WaitForStatusAsync(good, "deployed");

        Assert.False(await watch.StopAsync(), "the account's circuit opened on refusals");
        foreach (var id in refused)
        {
            var operation = Assert.Single(await fixture.OperationsAsync(id));
            Assert.Equal(OperationState.Failed, operation.State);
            Assert.Equal(1, operation.Attempts); // a refusal is not retried
            Assert.Contains("HTTP 422", operation.LastError);
        }
    }

    [Fact]
    public async Task A_delete_right_after_a_create_leaves_nothing_at_any_vendor()
    {
        var id = await ApiFixture.CreateAsync(fixture.Admin, ProvisioningPortal.NewService());
        using (var delete = await fixture.Admin.DeleteAsync($"/v1.0/services/{id}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        }
        await fixture.WaitForStatusAsync(id, null);
        Assert.All(fixture.VendorResources(id), r => Assert.Equal(0, r.Value));
        var operations = await fixture.OperationsAsync(id);
        Assert.Equal(4, operations.Count(o => o.Kind == OperationKind.Delete && o.State == OperationState.Succeeded));
        Assert.DoesNotContain(operations, o => o.IsPending);
    }

    [Fact]
    public async Task Pending_operations_without_a_job_are_picked_up_by_the_recovery_sweep()
    {
        var id = await ApiFixture.CreateAsync(fixture.Admin, ProvisioningPortal.NewService());
        await fixture.WaitForStatusAsync(id, "deployed");

        // As if the process died after saving a change but before scheduling its job: an operation nobody will run.
        await using (var scope = fixture.Portal.Services.CreateAsyncScope(Actor.System()))
        {
            var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
            var service = await db.Set<CdnService>().Include(s => s.Providers).SingleAsync(s => s.Id == id);
            var provider = service.Providers.First();
            provider.Status = ProviderStatus.UpdateInProgress;
            service.Status = ServiceStatus.UpdateInProgress;
            var stale = fixture.Portal.Clock.GetUtcNow() - TimeSpan.FromMinutes(5);
            db.AddRange(ProvisioningOperation.For(service, OperationKind.Update, [provider], stale));
            await db.SaveChangesAsync();
        }
        var sweep = fixture.Portal.Services.GetRequiredService<ProvisioningRecovery>();
        Assert.Equal(1, await sweep.SweepAsync(CancellationToken.None));
        await fixture.WaitForStatusAsync(id, "deployed");
        Assert.Equal(0, await sweep.SweepAsync(CancellationToken.None));
        AssertOneResourceEach(id);
    }

    [Fact]
    public Task A_flavor_whose_services_were_all_deleted_can_be_deleted_with_its_provider_account_on_SQLite() =>
        Flavors.FlavorDeletionScenario.RunAsync(fixture, "flavor-life");

    [Fact]
    public async Task A_removal_the_vendor_refuses_is_given_up_by_an_administrator_and_audited_while_others_cannot()
    {
        var (accountId, flavor) = await AddFlavorWithOwnFastlyAccountAsync("fastly-revoked-page", apiKey: "sim-fastly-api-key");
        var id = await ApiFixture.CreateAsync(fixture.Admin, ProvisioningPortal.NewService(flavor));
        await fixture.WaitForStatusAsync(id, "deployed");
        await SetFastlyKeyAsync(accountId, "revoked-at-the-vendor");

        // Every delete fails with the vendor's 401.
        using (var delete = await fixture.Admin.DeleteAsync($"/v1.0/services/{id}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        }
        await fixture.WaitForStatusAsync(id, "failed");
        var removal = (await fixture.OperationsAsync(id)).Last();
        Assert.Equal((OperationKind.Delete, OperationState.Failed), (removal.Kind, removal.State));
        Assert.Contains("credentials", removal.LastError, StringComparison.OrdinalIgnoreCase);

        // Operators and viewers are refused by the admin API (and the services behind it, see the authorization matrix).
        var body = new JsonObject
        {
            ["project_id"] = PortalFactory.FirstProject, ["service_id"] = id.ToString(), ["provider"] = "fastly-revoked-page",
            ["reason"] = "not mine to decide",
        };
        foreach (var role in new[] { PortalRoles.Operator, PortalRoles.Viewer })
        {
            var email = $"abandon-page-{role.ToLowerInvariant()}@test.local";
            var password = await fixture.Portal.CreateUserAsync(email, role, PortalFactory.FirstProject);
            using var client = await fixture.Portal.ApiClientAsync(email, password, PortalFactory.FirstProject);
            using var refused = await client.PostAsJsonAsync("/v1.0/admin/services/abandon", body);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }
        Assert.Equal(OperationState.Failed, (await fixture.OperationsAsync(id)).Last().State);

        // An administrator must say why.
        body["reason"] = " ";
        using (var noReason = await fixture.Admin.PostAsJsonAsync("/v1.0/admin/services/abandon", body))
        {
            Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
            Assert.Contains("Say why", await noReason.Content.ReadAsStringAsync());
        }
        Assert.Equal(OperationState.Failed, (await fixture.OperationsAsync(id)).Last().State);
        body["reason"] = "Account closed at Fastly; nothing to remove";
        using (var given = await fixture.Admin.PostAsJsonAsync("/v1.0/admin/services/abandon", body))
        {
            Assert.Equal(HttpStatusCode.OK, given.StatusCode);
            Assert.True((await given.Content.ReadFromJsonAsync<JsonObject>())!["archived"]!.GetValue<bool>());
        }

        // The service is gone from the portal (archived); what Fastly holds stays there, as the administrator decided.
        Assert.Null(await fixture.GetServiceAsync(id));
        var abandoned = (await fixture.OperationsAsync(id)).Last();
        Assert.Equal(OperationState.Abandoned, abandoned.State);
        Assert.Contains("Account closed at Fastly", abandoned.LastError);
        Assert.Equal(1, fixture.VendorResources(id)[CdnVendor.Fastly]);
        var entry = Assert.Single(await AuditOfAsync(id), e => e.Action == "abandon");
        Assert.Equal(PortalFactory.AdminEmail, entry.ActorName);
        Assert.Contains("Account closed at Fastly; nothing to remove", entry.Summary);
        Assert.Contains("fastly-revoked-page", entry.Summary);
    }

    [Fact]
    public async Task A_removal_the_vendor_refuses_is_given_up_through_the_admin_api_and_the_service_goes_once_every_provider_removed_it()
    {
        var (accountId, _) = await AddFlavorWithOwnFastlyAccountAsync("fastly-revoked-api", apiKey: "sim-fastly-api-key");
        const string flavor = "revoked-and-maxcdn";
        await using (var scope = fixture.Portal.Services.CreateAsyncScope(Actor.System()))
        {
            var created = await scope.ServiceProvider.GetRequiredService<FlavorCatalog>().CreateAsync(new FlavorSpec(flavor,
                [FlavorProviderSpec.WithProviderUrl("fastly-revoked-api", "www.fastly.com"), FlavorProviderSpec.WithProviderUrl("sim-maxcdn", "www.maxcdn.com")]),
                CancellationToken.None);
            Assert.True(created.Succeeded, string.Join("; ", created.Errors));
        }
        var id = await ApiFixture.CreateAsync(fixture.Admin, ProvisioningPortal.NewService(flavor));
        await fixture.WaitForStatusAsync(id, "deployed");
        await SetFastlyKeyAsync(accountId, "revoked-at-the-vendor");
        using (var delete = await fixture.Admin.DeleteAsync($"/v1.0/services/{id}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        }
        // MaxCDN removes it; Fastly refuses, so the service stays, failed.
        await fixture.WaitForStatusAsync(id, "failed");
        Assert.Equal(0, fixture.VendorResources(id)[CdnVendor.MaxCdn]);

        var body = new JsonObject
        {
            ["project_id"] = PortalFactory.FirstProject, ["service_id"] = id.ToString(), ["provider"] = "fastly-revoked-api",
            ["reason"] = "Key revoked; the distribution was removed by hand",
        };
        await fixture.Portal.CreateUserAsync("abandon-operator@test.local", PortalRoles.Operator, PortalFactory.FirstProject);
        using (var operatorApi = await fixture.Portal.ApiClientAsync("abandon-operator@test.local", "User-Password-1!", PortalFactory.FirstProject))
        using (var refused = await operatorApi.PostAsJsonAsync("/v1.0/admin/services/abandon", body))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }
        var maxCdnLatest = new JsonObject
        {
            ["project_id"] = PortalFactory.FirstProject, ["service_id"] = id.ToString(), ["provider"] = "sim-maxcdn", ["reason"] = "wrong provider",
        };
        using (var notFailed = await fixture.Admin.PostAsJsonAsync("/v1.0/admin/services/abandon", maxCdnLatest))
        {
            // MaxCDN's removal succeeded: there is nothing to give up on.
            Assert.Equal(HttpStatusCode.BadRequest, notFailed.StatusCode);
            Assert.Contains("Only a failed removal", await notFailed.Content.ReadAsStringAsync());
        }

        using var given = await fixture.Admin.PostAsJsonAsync("/v1.0/admin/services/abandon", body);

        Assert.Equal(HttpStatusCode.OK, given.StatusCode);
        Assert.True((await given.Content.ReadFromJsonAsync<JsonObject>())!["archived"]!.GetValue<bool>());
        Assert.Null(await fixture.GetServiceAsync(id));
        var entry = Assert.Single(await AuditOfAsync(id), e => e.Action == "abandon");
        Assert.Equal(PortalFactory.AdminEmail, entry.ActorName);
        Assert.Contains("Key revoked; the distribution was removed by hand", entry.After);
        // The failed removal of an archived service cannot be retried either.
        await using (var scope = fixture.Portal.Services.CreateAsyncScope(Actor.System()))
        {
            var operations = scope.ServiceProvider.GetRequiredService<ProvisioningOperations>();
            var projectId = await fixture.Portal.ProjectIdAsync(PortalFactory.FirstProject);
            var last = (await fixture.OperationsAsync(id)).Last(o => o.ProviderName == "fastly-revoked-api");
            Assert.False((await operations.RetryAsync(projectId, last.Id, CancellationToken.None)).Succeeded);
        }
    }

    private async Task SetFastlyKeyAsync(Guid accountId, string apiKey)
    {
        await using var scope = fixture.Portal.Services.CreateAsyncScope(Actor.System());
        var accounts = scope.ServiceProvider.GetRequiredService<ProviderAccountDirectory>();
        var account = (await accounts.FindAsync(accountId, CancellationToken.None))!;
        var updated = await accounts.UpdateAsync(accountId, new ProviderAccountSpec(account.Name, ProviderKind.Fastly,
            fixture.Simulators.Fastly.ApiBaseUrl.ToString(), new Dictionary<string, string?> { ["api_key"] = apiKey }), CancellationToken.None);
        Assert.True(updated.Succeeded, string.Join("; ", updated.Errors));
    }

    private async Task<List<AuditEntry>> AuditOfAsync(Guid serviceId)
    {
        await using var scope = fixture.Portal.Services.CreateAsyncScope(Actor.System());
        return await scope.ServiceProvider.GetRequiredService<PortalDbContext>().Set<AuditEntry>().AsNoTracking()
            .Where(e => e.EntityType == AuditEntityTypes.Service && e.EntityId == serviceId.ToString()).OrderBy(e => e.Id).ToListAsync();
    }

    [Fact]
    public async Task A_service_deployed_with_what_a_vendor_dropped_shows_its_warnings_in_the_api_the_list_and_the_page()
    {
        var document = ProvisioningPortal.NewService();
        document["name"] = $"warned-{Guid.NewGuid():N}"[..20];
        var id = await ApiFixture.CreateAsync(fixture.Admin, document);

        var deployed = (await fixture.WaitForStatusAsync(id, "deployed"))!;

        // The simulator's CloudFront account has no certificate, so the domain is left off: deployed, with warnings.
        var warnings = deployed["warnings"]!.AsArray();
        Assert.Contains(warnings, w => w!["provider"]!.GetValue<string>() == "sim-cloudfront"
            && w["message"]!.GetValue<string>().StartsWith("sim-cloudfront: Domains", StringComparison.Ordinal));
        var perProvider = deployed["providers"]!.AsArray().Sum(p => p!["warnings"]!.AsArray().Count);
        Assert.Equal(perProvider, warnings.Count);

        // The list's row and the page's badge show the count the catalog gives them (ServiceStatusBadge; the pages' bUnit tests).
        var projectId = await fixture.Portal.ProjectIdAsync(PortalFactory.FirstProject);
        await using var scope = fixture.Portal.Services.CreateAsyncScope(Actor.System());
        var found = await scope.ServiceProvider.GetRequiredService<ServiceCatalog>()
            .SearchAsync(projectId, new ServiceQuery(Text: document["name"]!.GetValue<string>()), CancellationToken.None);
        var row = Assert.Single(found.Items);
        Assert.Equal((ServiceStatus.Deployed, warnings.Count), (row.Status, row.Warnings));
    }

    [Fact]
    public async Task A_flavor_that_refuses_what_its_vendors_cannot_express_refuses_such_a_service_naming_the_vendor_and_setting()
    {
        const string flavor = "strict-fastly-maxcdn";
        await using (var scope = fixture.Portal.Services.CreateAsyncScope(Actor.System()))
        {
            var created = await scope.ServiceProvider.GetRequiredService<FlavorCatalog>().CreateAsync(new FlavorSpec(flavor,
                [FlavorProviderSpec.WithProviderUrl("sim-fastly", "www.fastly.com"), FlavorProviderSpec.WithProviderUrl("sim-maxcdn", "www.maxcdn.com")], "refuse"),
                CancellationToken.None);
            Assert.True(created.Succeeded, string.Join("; ", created.Errors));
        }
        var twoOrigins = ProvisioningPortal.NewService(flavor);
        twoOrigins["origins"]!.AsArray().Add(new JsonObject
        {
            ["origin"] = "media.example.net", ["port"] = 80, ["ssl"] = false,
            ["rules"] = new JsonArray(new JsonObject { ["name"] = "media", ["request_url"] = "/media/*" }),
        });

        using (var refused = await fixture.Admin.PostAsJsonAsync("/v1.0/services", twoOrigins))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            var messages = (await refused.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsArray().Select(e => e!["message"]!.GetValue<string>()).ToList();
            Assert.Contains(messages, m => m.StartsWith("sim-maxcdn (MaxCdn) cannot express this", StringComparison.Ordinal)
                && m.Contains("media.example.net") && m.Contains("one origin"));
        }

        // What every vendor of the flavor can express is accepted, and deploys; a change that adds the second origin is refused.
        var id = await ApiFixture.CreateAsync(fixture.Admin, ProvisioningPortal.NewService(flavor));
        await fixture.WaitForStatusAsync(id, "deployed");
        using var patch = await fixture.Admin.PatchAsJsonAsync($"/v1.0/services/{id}",
            new JsonArray(new JsonObject { ["op"] = "add", ["path"] = "/origins/-", ["value"] = twoOrigins["origins"]![1]!.DeepClone() }));
        Assert.Equal(HttpStatusCode.BadRequest, patch.StatusCode);
        Assert.Contains("sim-maxcdn (MaxCdn) cannot express this", await patch.Content.ReadAsStringAsync());
        Assert.Single((await fixture.GetServiceAsync(id))!["origins"]!.AsArray());
    }

    private void AssertOneResourceEach(Guid id)
    {
        var resources = fixture.VendorResources(id);
        Assert.All(AllVendors, vendor => Assert.True(resources[vendor] == 1, $"{vendor} holds {resources[vendor]} resources for {id}"));
    }

    private async Task<bool> PurgesDoneAsync(Guid id)
    {
        await using var scope = fixture.Portal.Services.CreateAsyncScope(Actor.System());
        var purges = await scope.ServiceProvider.GetRequiredService<PortalDbContext>().Set<ServicePurge>().Where(p => p.ServiceId == id).ToListAsync();
        return purges.Count > 0 && purges.All(p => p.CompletedAt is not null);
    }

    /// <summary>A flavor of one new Fastly account at the simulator, so a test's faults and circuit are its own.</summary>
    [Fact]
    public async Task A_provider_taken_out_of_the_flavor_has_the_service_removed_from_it_at_the_next_change()
    {
        const string flavor = "fastly-and-maxcdn";
        await using (var scope = fixture.Portal.Services.CreateAsyncScope(Actor.System()))
        {
            var created = await scope.ServiceProvider.GetRequiredService<FlavorCatalog>().CreateAsync(new FlavorSpec(flavor,
                [FlavorProviderSpec.WithProviderUrl("sim-fastly", "www.fastly.com"), FlavorProviderSpec.WithProviderUrl("sim-maxcdn", "www.maxcdn.com")]),
                CancellationToken.None);
            Assert.True(created.Succeeded, string.Join("; ", created.Errors));
        }
        var id = await ApiFixture.CreateAsync(fixture.Admin, ProvisioningPortal.NewService(flavor));
        await fixture.WaitForStatusAsync(id, "deployed");
        Assert.Equal(1, fixture.VendorResources(id)[CdnVendor.MaxCdn]);

        // Flavors have no edit in the portal: an operator takes MaxCDN out in the database.
        await using (var scope = fixture.Portal.Services.CreateAsyncScope(Actor.System()))
        {
            var removed = await scope.ServiceProvider.GetRequiredService<PortalDbContext>().Set<FlavorProvider>()
                .Where(f => f.FlavorId == flavor && f.ProviderAccount.Name == "sim-maxcdn").ExecuteDeleteAsync();
            Assert.Equal(1, removed);
        }

        using (var patch = await fixture.Admin.PatchAsJsonAsync($"/v1.0/services/{id}",
                   new JsonArray(new JsonObject { ["op"] = "replace", ["path"] = "/name", ["value"] = $"renamed-{id:N}"[..20] })))
        {
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
        }

        var deployed = await fixture.WaitForStatusAsync(id, "deployed");
        Assert.Equal(["sim-fastly"], deployed!["providers"]!.AsArray().Select(p => p!["provider"]!.GetValue<string>()));
        Assert.Equal(0, fixture.VendorResources(id)[CdnVendor.MaxCdn]);
        Assert.Equal(1, fixture.VendorResources(id)[CdnVendor.Fastly]);
        var maxCdn = (await fixture.OperationsAsync(id)).Last(o => o.ProviderName == "sim-maxcdn");
        Assert.Equal((OperationKind.Update, OperationState.Succeeded), (maxCdn.Kind, maxCdn.State));

        // Deleting it later waits only for the providers it still has: the one that left does not hold it back.
        using (var delete = await fixture.Admin.DeleteAsync($"/v1.0/services/{id}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        }
        await fixture.WaitForStatusAsync(id, null);
        Assert.Equal(0, fixture.VendorResources(id)[CdnVendor.Fastly]);
    }

    private async Task<(Guid AccountId, string Flavor)> AddFlavorWithOwnFastlyAccountAsync(string name, string apiKey)
    {
        await using var scope = fixture.Portal.Services.CreateAsyncScope(Actor.System());
        var account = await scope.ServiceProvider.GetRequiredService<ProviderAccountDirectory>().CreateAsync(new ProviderAccountSpec(name,
            ProviderKind.Fastly, fixture.Simulators.Fastly.ApiBaseUrl.ToString(), new Dictionary<string, string?> { ["api_key"] = apiKey }), CancellationToken.None);
        Assert.True(account.Succeeded, string.Join("; ", account.Errors));
        var flavor = await scope.ServiceProvider.GetRequiredService<FlavorCatalog>()
            .CreateAsync(new FlavorSpec(name, [FlavorProviderSpec.WithProviderUrl(name, "www.fastly.com")]), CancellationToken.None);
        Assert.True(flavor.Succeeded, string.Join("; ", flavor.Errors));
        return (account.Value!.Id, name);
    }

    /// <summary>Samples an account's circuit every few milliseconds until stopped; tells whether it was ever seen other than closed.</summary>
    private sealed class CircuitWatch : IAsyncDisposable
    {
        private readonly CancellationTokenSource stop = new();
        private Task<bool> sampling = Task.FromResult(false);

        public static CircuitWatch Start(ProviderResilience resilience, Guid accountId)
        {
            var watch = new CircuitWatch();
            watch.sampling = Task.Run(async () =>
            {
                var opened = false;
                while (!watch.stop.IsCancellationRequested)
                {
                    opened |= resilience.CircuitStateOf(accountId) != CircuitState.Closed;
                    await Task.Delay(5);
                }
                return opened | resilience.CircuitStateOf(accountId) != CircuitState.Closed;
            });
            return watch;
        }

        public async Task<bool> StopAsync()
        {
            await stop.CancelAsync();
            return await sampling;
        }

        public async ValueTask DisposeAsync()
        {
            await StopAsync();
            stop.Dispose();
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), $"Timed out waiting for {what}.");
            await Task.Delay(50);
        }
    }
}
