namespace Poppy.Portal.Core.Features.Validation;

/// <summary>
/// Outcome of a checked change: it succeeded, the thing it names does not exist, or the request has problems
/// (each with its field path, so a form can show it next to the field and the API can name the field), or the change
/// conflicts with the current state of other things (a flavor still used by services: <see cref="IsConflict"/>).
/// </summary>
public sealed record ChangeResult(IReadOnlyList<ValidationError> Errors, bool IsNotFound)
{
    /// <summary>The request is fine but the current state of other things forbids it (HTTP 409); the errors say why.</summary>
    public bool IsConflict { get; init; }

    public static ChangeResult Ok { get; } = new([], false);

    public static ChangeResult NotFound { get; } = new([], true);

    public bool Succeeded => !IsNotFound && Errors.Count == 0;

    public static ChangeResult Invalid(IReadOnlyList<ValidationError> errors) =>
        errors.Count > 0 ? new(errors, false) : throw new ArgumentException("An invalid result needs at least one error.", nameof(errors));

    public static ChangeResult Invalid(string path, string message) => new([new ValidationError(path, message)], false);

    public static ChangeResult Conflict(string path, string message) => new([new ValidationError(path, message)], false) { IsConflict = true };

    public static ChangeResult<T> Success<T>(T value) => new(value, [], false);
}

/// <summary>A <see cref="ChangeResult"/> that also carries what the change produced (e.g. the created flavor).</summary>
public sealed record ChangeResult<T>(T? Value, IReadOnlyList<ValidationError> Errors, bool IsNotFound)
{
    public bool Succeeded => !IsNotFound && Errors.Count == 0;

    /// <summary>Lets a method returning <c>ChangeResult&lt;T&gt;</c> return <c>ChangeResult.Invalid(..)</c> or <c>ChangeResult.NotFound</c>.</summary>
    public static implicit operator ChangeResult<T>(ChangeResult failure) =>
        failure.Succeeded
            ? throw new InvalidOperationException("A successful result needs its value: use ChangeResult.Success(value).")
            : new(default, failure.Errors, failure.IsNotFound);
}
