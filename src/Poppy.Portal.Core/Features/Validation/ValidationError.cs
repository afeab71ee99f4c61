namespace Poppy.Portal.Core.Features.Validation;

/// <summary>
/// One problem with a request: where (the field path in the request's JSON shape, e.g. <c>domains[1].domain</c> or
/// <c>providers[1].provider</c>; empty for the request as a whole) and what to do about it, in words a person can act on.
/// </summary>
public sealed record ValidationError(string Path, string Message)
{
    /// <summary>"path: message", the form the API returns.</summary>
    public override string ToString() => Path.Length == 0 ? Message : $"{Path}: {Message}";
}
