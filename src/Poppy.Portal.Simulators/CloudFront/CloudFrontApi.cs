using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Poppy.Portal.Simulators.Hosting;
using static Poppy.Portal.Simulators.CloudFront.CloudFrontXml;

namespace Poppy.Portal.Simulators.CloudFront;

/// <summary>The CloudFront 2020-05-31 REST-XML calls the drivers use.</summary>
internal static class CloudFrontApi
{
    public static void Map(RouteGroupBuilder api, CloudFrontSimulator cloudFront)
    {
        var store = cloudFront.Store;
        var v = api.MapGroup("/2020-05-31");

        v.MapPost("/distribution", async (HttpContext http) =>
        {
            var config = ParseConfig(ParseRoot(await HttpHelpers.ReadBodyTextAsync(http.Request), "DistributionConfig"));
            var (distribution, _) = store.Create(config);
            return DistributionResult(cloudFront, distribution, StatusCodes.Status201Created)
                .WithHeaders(("Location", new Uri(cloudFront.ApiBaseUrl, $"2020-05-31/distribution/{distribution.Id}").ToString()));
        });
        v.MapGet("/distribution", () =>
        {
            var now = cloudFront.Context.Now;
            return Result(List("DistributionList", "DistributionSummary", [.. store.Distributions.Select(d => Summary(d, now))]));
        });
        v.MapGet("/distribution/{id}", (string id) => DistributionResult(cloudFront, store.Get(id), StatusCodes.Status200OK));
        v.MapGet("/distribution/{id}/config", (string id) =>
        {
            var distribution = store.Get(id);
            return Result(new(distribution.Config.Xml)).WithHeaders(("ETag", distribution.ETag));
        });
        v.MapPut("/distribution/{id}/config", async (HttpContext http, string id) =>
        {
            store.Get(id);
            var ifMatch = http.Request.Headers.IfMatch.ToString();
            var config = ParseConfig(ParseRoot(await HttpHelpers.ReadBodyTextAsync(http.Request), "DistributionConfig"));
            return DistributionResult(cloudFront, store.Update(id, ifMatch, config), StatusCodes.Status200OK);
        });
        v.MapDelete("/distribution/{id}", (HttpContext http, string id) =>
        {
            store.Delete(id, http.Request.Headers.IfMatch.ToString());
            cloudFront.EdgeCache.Purge(e => e.SiteId == id, soft: false);
            return Results.NoContent();
        });

        v.MapPost("/distribution/{id}/invalidation", async (HttpContext http, string id) =>
        {
            store.Get(id);
            var (callerReference, paths) = ParseInvalidationBatch(ParseRoot(await HttpHelpers.ReadBodyTextAsync(http.Request), "InvalidationBatch"));
            var (invalidation, created) = store.Invalidate(id, callerReference, paths);
            if (created)
            {
                cloudFront.PurgeEdge(id, paths);
            }

            return Result(Invalidation(invalidation, cloudFront.Context.Now), StatusCodes.Status201Created)
                .WithHeaders(("Location", new Uri(cloudFront.ApiBaseUrl, $"2020-05-31/distribution/{id}/invalidation/{invalidation.Id}").ToString()));
        });
        v.MapGet("/distribution/{id}/invalidation", (string id) =>
        {
            store.Get(id);
            var now = cloudFront.Context.Now;
            var items = store.Invalidations.Where(i => i.DistributionId == id).Reverse()
                .Select(i => new System.Xml.Linq.XElement(Ns + "InvalidationSummary",
                    new System.Xml.Linq.XElement(Ns + "Id", i.Id),
                    new System.Xml.Linq.XElement(Ns + "CreateTime", Time(i.CreateTime)),
                    new System.Xml.Linq.XElement(Ns + "Status", i.StatusAt(now))))
                .ToList();
            return Result(List("InvalidationList", "InvalidationSummary", items));
        });
        v.MapGet("/distribution/{id}/invalidation/{invalidationId}", (string id, string invalidationId) =>
        {
            store.Get(id);
            var invalidation = store.Invalidations.FirstOrDefault(i => i.DistributionId == id && i.Id == invalidationId)
                ?? throw new CloudFrontApiError(StatusCodes.Status404NotFound, "NoSuchInvalidation", "The specified invalidation does not exist.");
            return Result(Invalidation(invalidation, cloudFront.Context.Now));
        });
    }

    private static IResult DistributionResult(CloudFrontSimulator cloudFront, CloudFrontDistribution distribution, int status) =>
        Result(Distribution(distribution, cloudFront.Context.Now, cloudFront.Store.InProgressInvalidations(distribution.Id)), status)
            .WithHeaders(("ETag", distribution.ETag));
}
