using Microsoft.AspNetCore.Identity;

namespace Poppy.Portal.Core.Features.Users;

/// <summary>Outcome of an administrative action: success, or messages a person can act on.</summary>
public sealed record Result(IReadOnlyList<string> Errors)
{
    public static readonly Result Ok = new([]);

    public bool Succeeded => Errors.Count == 0;

    public static Result Fail(string error) => new([error]);

    public static Result From(IdentityResult identity) =>
        identity.Succeeded ? Ok : new(identity.Errors.Select(e => e.Description).ToList());
}
