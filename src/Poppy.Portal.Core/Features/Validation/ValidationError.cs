namespace Poppy.Portal.Core.Features.Validation;

/// <summary>One broken rule: <paramref name="Path"/> names the field like the JSON document does (e.g. <c>domains[1].domain</c>).</summary>
public sealed record ValidationError(string Path, string Message)
{
    /// <summary>"path: message", the form the API returns and logs.</summary>
    public override string ToString() => Path.Length == 0 ? Message : $"{Path}: {Message}";
}
