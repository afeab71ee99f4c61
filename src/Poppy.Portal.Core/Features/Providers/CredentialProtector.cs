using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;

namespace Poppy.Portal.Core.Features.Providers;

/// <summary>
/// Vendor credentials at rest: a JSON dictionary protected with Data Protection under a purpose of its own (keys in the
/// database, so every node reads them). CDN and DNS accounts each use one, with different purposes, so neither can
/// read the other's.
/// </summary>
public sealed class CredentialProtector(IDataProtectionProvider dataProtection, string purpose)
{
    private readonly IDataProtector protector = dataProtection.CreateProtector(purpose);

    public string Protect(IReadOnlyDictionary<string, string> credentials) => protector.Protect(JsonSerializer.Serialize(credentials));

    public IReadOnlyDictionary<string, string> Unprotect(string protectedCredentials) =>
        JsonSerializer.Deserialize<Dictionary<string, string>>(protector.Unprotect(protectedCredentials))
        ?? throw new InvalidOperationException("Stored credentials are empty.");

    /// <summary>Null when the keys that protected them are gone (a restored database without its key ring).</summary>
    public IReadOnlyDictionary<string, string>? TryUnprotect(string protectedCredentials)
    {
        try
        {
            return Unprotect(protectedCredentials);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }
}
