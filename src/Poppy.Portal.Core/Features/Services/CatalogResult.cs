using Poppy.Portal.Core.Features.Validation;

namespace Poppy.Portal.Core.Features.Services;

public enum CatalogOutcome
{
    Ok,

    /// <summary>The document breaks rules; <see cref="CatalogResult.Errors"/> names the fields.</summary>
    Invalid,

    NotFound,

    /// <summary>The service is in a state that does not allow the change (e.g. a create still in progress).</summary>
    Rejected,

    /// <summary>The project has as many services as its limit allows.</summary>
    LimitReached,
}

/// <summary>What a change of the catalog came to, for the API (status codes) and the forms (messages by field).</summary>
public sealed record CatalogResult(CatalogOutcome Outcome, Guid ServiceId, IReadOnlyList<ValidationError> Errors, string? Message)
{
    public bool Succeeded => Outcome == CatalogOutcome.Ok;

    /// <summary>An update that asked for what the service already is: accepted, and nothing was queued at the vendors.</summary>
    public bool IsUnchanged { get; init; }

    public static CatalogResult Ok(Guid id) => new(CatalogOutcome.Ok, id, [], null);
    public static CatalogResult Unchanged(Guid id) =>
        new(CatalogOutcome.Ok, id, [], "Nothing changed: every provider already serves this configuration.") { IsUnchanged = true };
    public static CatalogResult Invalid(IReadOnlyList<ValidationError> errors) => new(CatalogOutcome.Invalid, Guid.Empty, errors, null);
    public static CatalogResult Invalid(string path, string message) => Invalid([new ValidationError(path, message)]);
    public static CatalogResult NotFound(Guid id) => new(CatalogOutcome.NotFound, id, [], $"service {id} could not be found");
    public static CatalogResult Rejected(Guid id, string message) => new(CatalogOutcome.Rejected, id, [], message);
    public static CatalogResult LimitReached(int limit) => new(CatalogOutcome.LimitReached, Guid.Empty, [], $"Maximum Services Limit of {limit} reached!");
}
