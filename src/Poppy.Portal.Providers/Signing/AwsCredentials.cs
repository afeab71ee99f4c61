namespace Poppy.Portal.Providers.Signing;

/// <summary>An AWS access key pair, with the session token of temporary credentials when there is one.</summary>
/// <param name="AccessKeyId">The access key id, e.g. <c>AKIDEXAMPLE</c>: not secret, it names the key.</param>
/// <param name="SecretAccessKey">The secret: never logged or rendered (see <see cref="ToString"/>).</param>
/// <param name="SessionToken">The STS session token of temporary credentials; sent as <c>X-Amz-Security-Token</c>.</param>
public sealed record AwsCredentials(string AccessKeyId, string SecretAccessKey, string? SessionToken = null)
{
    /// <summary>Names the key only: records print every property by default, and this one holds a secret.</summary>
    public override string ToString() => $"AwsCredentials {{ AccessKeyId = {AccessKeyId} }}";
}
