using System.Net;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Core.Features.Users;
using Poppy.Portal.Web.Features.Services;

namespace Poppy.Portal.Web.Tests.Services;

/// <summary>The list's CSV export: the current project's services that the filter selects, in the list's order, every page.</summary>
public sealed class ServiceExportTests : PortalTest
{
    private readonly List<Guid> ids = [];

    public override async Task InitializeAsync()
    {
        await Portal.SeedFlavorAsync();
        await Portal.CreateProjectAsync("beta");
        ids.Add(await Portal.CreateServiceAsync(ServiceTestData.Spec("beta-shop", "www.shop.test")));
        ids.Add(await Portal.CreateServiceAsync(ServiceTestData.Spec("=HYPERLINK(\"x\"), alpha", "www.alpha.test")));
        ids.Add(await Portal.CreateServiceAsync(ServiceTestData.Spec("gamma", "www.gamma.test")));
        await Portal.SetServiceStatusAsync(ids[0], ProviderStatus.Deployed);
        await Portal.SetServiceStatusAsync(ids[1], ProviderStatus.Deployed);
        await Portal.CreateServiceAsync(ServiceTestData.Spec("beta-elsewhere", "www.elsewhere.test"), "beta");
    }

    [Fact]
    public async Task The_csv_holds_the_filtered_services_of_the_project_in_the_lists_order()
    {
        using var viewer = await Portal.CreateSignedInClientAsync(PortalRoles.Viewer);

        using var response = await viewer.Http.GetAsync(ServiceListView.Parse(null, "deployed", null, "name", "true", null).ExportUrl());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("services-", response.Content.Headers.ContentDisposition?.FileName?.Trim('"'), StringComparison.Ordinal);
        var lines = (await response.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("id,name,status,flavor,domains,updated_at,warnings", lines[0]);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith($"{ids[0]},beta-shop,deployed,cdn,www.shop.test,", lines[1], StringComparison.Ordinal);
        // A name a spreadsheet would run as a formula is defused and quoted.
        Assert.StartsWith($"{ids[1]},\"'=HYPERLINK(\"\"x\"\"), alpha\",deployed,", lines[2], StringComparison.Ordinal);
        Assert.DoesNotContain(lines, l => l.Contains("beta-elsewhere", StringComparison.Ordinal) || l.Contains("gamma", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Without_a_filter_every_service_of_the_project_is_exported()
    {
        using var admin = await Portal.CreateAdminClientAsync();

        var csv = await admin.Http.GetStringAsync(ServiceListView.ExportPath);

        var names = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(',')[0]).ToList();
        Assert.Equal(ids.AsEnumerable().Reverse().Select(i => i.ToString()), names);
    }

    [Fact]
    public async Task Signed_out_the_export_answers_nothing()
    {
        using var anonymous = Portal.CreatePortalClient();

        using var response = await anonymous.Http.GetAsync(ServiceListView.ExportPath);

        Assert.Contains(response.StatusCode, new[] { HttpStatusCode.Redirect, HttpStatusCode.Unauthorized });
        Assert.NotEqual("text/csv", response.Content.Headers.ContentType?.MediaType);
    }
}
