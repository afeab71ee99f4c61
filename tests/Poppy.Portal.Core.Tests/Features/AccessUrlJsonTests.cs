using System.Text.Json;
using Poppy.Portal.Core.Features.Services;

namespace Poppy.Portal.Core.Tests.Features;

/// <summary>The stored shape of a provider's access URLs: written snake_case, read in either casing.</summary>
public sealed class AccessUrlJsonTests
{
    [Fact]
    public void Access_urls_are_written_with_the_snake_case_names_the_api_reads()
    {
        var json = AccessUrlJson.Write([new AccessUrl("www.shop.test", "d111.cloudfront.net", null), new AccessUrl("cdn.shop.test", "x.fastly.net", "cdn.shop.test.cdn.poppy")]);

        using var document = JsonDocument.Parse(json);
        var first = document.RootElement[0];
        Assert.Equal(["domain", "provider_url"], first.EnumerateObject().Select(p => p.Name));
        Assert.Equal("cdn.shop.test.cdn.poppy", document.RootElement[1].GetProperty("operator_url").GetString());
        Assert.Equal([new AccessUrl("www.shop.test", "d111.cloudfront.net", null), new AccessUrl("cdn.shop.test", "x.fastly.net", "cdn.shop.test.cdn.poppy")],
            AccessUrlJson.Read(json));
    }

    [Fact]
    public void Rows_written_in_the_old_pascal_case_still_read_and_bad_json_reads_as_nothing()
    {
        // What provisioning stored before the contract (JsonSerializer's defaults).
        var pascal = JsonSerializer.Serialize(new[] { new AccessUrl("www.shop.test", "d111.cloudfront.net", null) });
        Assert.Contains("\"ProviderUrl\"", pascal);

        Assert.Equal(new AccessUrl("www.shop.test", "d111.cloudfront.net", null), Assert.Single(AccessUrlJson.Read(pascal)));
        Assert.Empty(AccessUrlJson.Read("{not json"));
        Assert.Empty(AccessUrlJson.Read("{\"domain\":\"x\"}"));
        Assert.Empty(AccessUrlJson.Read(null));
    }
}
