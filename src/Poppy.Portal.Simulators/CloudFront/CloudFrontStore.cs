using Microsoft.AspNetCore.Http;
using Poppy.Portal.Simulators.Hosting;

namespace Poppy.Portal.Simulators.CloudFront;

/// <summary>Distributions and invalidations. Writers hold the lock and swap immutable records.</summary>
internal sealed class CloudFrontStore(SimulatorContext context)
{
    /// <summary>CloudFront allows at most 15 wildcard paths in progress per distribution.</summary>
    private const int MaxWildcardsInProgress = 15;

    private const int MaxPathsInProgress = 3000;

    private readonly Lock gate = new();
    private readonly List<CloudFrontDistribution> distributions = [];
    private readonly List<CloudFrontInvalidation> invalidations = [];

    public IReadOnlyList<CloudFrontDistribution> Distributions
    {
        get
        {
            lock (gate)
            {
                return [.. distributions];
            }
        }
    }

    public IReadOnlyList<CloudFrontInvalidation> Invalidations
    {
        get
        {
            lock (gate)
            {
                return [.. invalidations];
            }
        }
    }

    public CloudFrontDistribution? Find(string id)
    {
        lock (gate)
        {
            return distributions.FirstOrDefault(d => d.Id == id);
        }
    }

    public CloudFrontDistribution Get(string id) => Find(id) ?? throw CloudFrontApiError.NoSuchDistribution();

    /// <summary>Same CallerReference and same config: the original distribution again. Different config: refused.</summary>
    public (CloudFrontDistribution Distribution, bool Created) Create(CloudFrontConfig config)
    {
        lock (gate)
        {
            if (distributions.FirstOrDefault(d => d.Config.CallerReference == config.CallerReference) is { } existing)
            {
                return existing.Config.Canonical == config.Canonical
                    ? (existing, false)
                    : throw new CloudFrontApiError(StatusCodes.Status409Conflict, "DistributionAlreadyExists",
                        $"The caller reference that you are using to create a distribution is associated with another distribution. Already exists: {existing.Id}");
            }

            EnsureAliasesFree(config, null);
            var id = "E" + context.Ids.Next(IdGenerator.UpperAlnum, 13);
            var now = context.Now;
            var distribution = new CloudFrontDistribution(
                id,
                $"arn:aws:cloudfront::{context.Options.CloudFront.AccountId}:distribution/{id}",
                "d" + context.Ids.Next(IdGenerator.LowerAlnum, 13) + CloudFrontSimulator.AccessHostSuffix,
                NewETag(),
                config,
                now,
                now + context.Options.DeployDelay);
            distributions.Add(distribution);
            return (distribution, true);
        }
    }

    public CloudFrontDistribution Update(string id, string? ifMatch, CloudFrontConfig config)
    {
        lock (gate)
        {
            var existing = Matching(id, ifMatch);
            if (existing.Config.CallerReference != config.CallerReference)
            {
                throw new CloudFrontApiError(StatusCodes.Status400BadRequest, "IllegalUpdate", "Parameter CallerReference cannot be updated.");
            }

            EnsureAliasesFree(config, id);
            var now = context.Now;
            var updated = existing with
            {
                Config = config, ETag = NewETag(), LastModifiedTime = now, DeployedAt = now + context.Options.DeployDelay,
            };
            distributions[distributions.IndexOf(existing)] = updated;
            return updated;
        }
    }

    /// <summary>Only a distribution that is disabled and deployed (so the disable has spread) can go.</summary>
    public void Delete(string id, string? ifMatch)
    {
        lock (gate)
        {
            var existing = Matching(id, ifMatch);
            if (existing.Config.Enabled || existing.StatusAt(context.Now) != "Deployed")
            {
                throw new CloudFrontApiError(StatusCodes.Status409Conflict, "DistributionNotDisabled",
                    "The distribution you are trying to delete has not been disabled.");
            }

            distributions.Remove(existing);
        }
    }

    public (CloudFrontInvalidation Invalidation, bool Created) Invalidate(string distributionId, string callerReference, IReadOnlyList<string> paths)
    {
        lock (gate)
        {
            Get(distributionId);
            var now = context.Now;
            var mine = invalidations.Where(i => i.DistributionId == distributionId).ToList();
            if (mine.FirstOrDefault(i => i.CallerReference == callerReference) is { } existing)
            {
                return existing.Paths.SequenceEqual(paths)
                    ? (existing, false)
                    : throw new CloudFrontApiError(StatusCodes.Status409Conflict, "InvalidationBatchAlreadyExists",
                        $"The caller reference that you are using to create an invalidation batch is associated with another batch. Already exists: {existing.Id}");
            }

            var inProgress = mine.Where(i => i.StatusAt(now) == "InProgress").SelectMany(i => i.Paths).ToList();
            if (inProgress.Count(p => p.EndsWith('*')) + paths.Count(p => p.EndsWith('*')) > MaxWildcardsInProgress
                || inProgress.Count + paths.Count > MaxPathsInProgress)
            {
                throw new CloudFrontApiError(StatusCodes.Status400BadRequest, "TooManyInvalidationsInProgress",
                    "Processing your request will cause you to exceed the maximum number of in-progress wildcard invalidations.");
            }

            var invalidation = new CloudFrontInvalidation("I" + context.Ids.Next(IdGenerator.UpperAlnum, 13), distributionId,
                callerReference, paths, now, now + context.Options.PurgeDelay);
            invalidations.Add(invalidation);
            return (invalidation, true);
        }
    }

    public int InProgressInvalidations(string distributionId)
    {
        var now = context.Now;
        lock (gate)
        {
            return invalidations.Count(i => i.DistributionId == distributionId && i.StatusAt(now) == "InProgress");
        }
    }

    private CloudFrontDistribution Matching(string id, string? ifMatch)
    {
        var existing = distributions.FirstOrDefault(d => d.Id == id) ?? throw CloudFrontApiError.NoSuchDistribution();
        if (string.IsNullOrWhiteSpace(ifMatch))
        {
            throw CloudFrontApiError.MissingIfMatch();
        }

        return ifMatch.Trim().Trim('"') == existing.ETag ? existing : throw CloudFrontApiError.PreconditionFailed();
    }

    private void EnsureAliasesFree(CloudFrontConfig config, string? ownId)
    {
        var taken = distributions.Where(d => d.Id != ownId).SelectMany(d => d.Config.Aliases).ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (config.Aliases.Any(taken.Contains))
        {
            throw new CloudFrontApiError(StatusCodes.Status409Conflict, "CNAMEAlreadyExists",
                "One or more of the CNAMEs you provided are already associated with a different resource.");
        }
    }

    private string NewETag() => "E" + context.Ids.Next(IdGenerator.UpperAlnum, 13);
}
