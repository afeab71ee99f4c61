using System.Buffers.Binary;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Provisioning;
using Poppy.Portal.Core.Features.Services;

namespace Poppy.Portal.Core.Features.Benchmarks;

/// <summary>An edge as an access URL names it; null port and TLS: as the service's domain (80 or 443).</summary>
public sealed record ProbeEdge(string Host, int? Port, bool? Tls);

/// <summary>What one round did.</summary>
/// <param name="DueServices">Services whose slot fell in the round's window.</param>
/// <param name="Probed">Probes made (each provider of each due service).</param>
/// <param name="Skipped">Providers not probed because their account's circuit was open.</param>
public sealed record ProbeRoundResult(int DueServices, int Probed, int Skipped);

/// <summary>
/// When each service is probed: every <c>interval</c>, at an offset inside the interval derived from its id. Slots are
/// fixed on the clock (multiples of the interval since the epoch, plus the offset), so after a pause or a restart every
/// service keeps its place and the probes stay spread instead of all starting at once.
/// </summary>
public static class ProbeSlots
{
    public static TimeSpan OffsetOf(Guid serviceId, TimeSpan interval)
    {
        Span<byte> bytes = stackalloc byte[16];
        serviceId.TryWriteBytes(bytes);
        var hash = BinaryPrimitives.ReadUInt64LittleEndian(bytes) ^ BinaryPrimitives.ReadUInt64LittleEndian(bytes[8..]);
        return TimeSpan.FromTicks((long)(hash % (ulong)interval.Ticks));
    }

    /// <summary>The first slot of the service at or after <paramref name="from"/>.</summary>
    public static DateTimeOffset NextSlot(Guid serviceId, TimeSpan interval, DateTimeOffset from)
    {
        var offset = OffsetOf(serviceId, interval).Ticks;
        var since = from.UtcTicks - offset;
        var slots = since <= 0 ? 0 : (since + interval.Ticks - 1) / interval.Ticks;
        return new DateTimeOffset(slots * interval.Ticks + offset, TimeSpan.Zero);
    }

    /// <summary>Whether the service has a slot in [from, until).</summary>
    public static bool IsDue(Guid serviceId, TimeSpan interval, DateTimeOffset from, DateTimeOffset until) =>
        NextSlot(serviceId, interval, from) < until;
}

/// <summary>
/// One probe round: the deployed services with a slot in a window, each provider's edge probed (bounded by
/// <see cref="EdgeProber"/>), the samples stored. A provider whose account circuit is open in this process gets a
/// skipped sample: the portal stopped calling that vendor, which says nothing about its edge, so it is neither probed
/// nor counted as the vendor's failure.
/// </summary>
public sealed class ProbeRound(
    IServiceScopeFactory scopes, EdgeProber prober, ProviderResilience resilience, IOptions<BenchmarkOptions> options, TimeProvider clock)
{
    public async Task<ProbeRoundResult> RunAsync(DateTimeOffset from, DateTimeOffset until, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        await using var scope = scopes.CreateAsyncScope(Actor.System("benchmark-probes"));
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();

        var candidates = await db.Set<CdnService>().AsNoTracking()
            .Where(s => s.ArchivedAt == null && (s.Status == ServiceStatus.Deployed || s.Status == ServiceStatus.UpdateInProgress))
            .Select(s => new
            {
                s.Id,
                Settings = db.Set<BenchmarkSettings>().Where(b => b.ServiceId == s.Id).Select(b => new { b.IntervalSeconds, b.ProbePath, b.Enabled }).FirstOrDefault(),
                Domain = s.Domains.OrderBy(d => d.Domain).Select(d => new { d.Domain, d.Protocol }).FirstOrDefault(),
                Providers = s.Providers.Where(p => p.Status == ProviderStatus.Deployed)
                    .Select(p => new { p.ProviderAccountId, p.ProviderName, p.AccessUrls }).ToList(),
            })
            .ToListAsync(cancellationToken);

        var work = new List<(Guid ServiceId, Guid AccountId, string Provider, ProbeTarget? Target)>();
        var due = 0;
        foreach (var service in candidates)
        {
            if (service.Domain is null || service.Settings is { Enabled: false })
            {
                continue;
            }
            var interval = service.Settings is { } own ? TimeSpan.FromSeconds(own.IntervalSeconds) : settings.DefaultInterval;
            if (!ProbeSlots.IsDue(service.Id, interval, from, until))
            {
                continue;
            }
            due++;
            var path = service.Settings?.ProbePath ?? settings.DefaultProbePath;
            foreach (var provider in service.Providers)
            {
                var urls = AccessUrlJson.Read(provider.AccessUrls);
                var url = urls.FirstOrDefault(u => string.Equals(u.Domain, service.Domain.Domain, StringComparison.OrdinalIgnoreCase)) ?? urls.FirstOrDefault();
                if (url is null || EdgeOf(url.ProviderUrl) is not { } edge)
                {
                    continue;
                }
                var open = resilience.IsCircuitBlocking(provider.ProviderAccountId);
                work.Add((service.Id, provider.ProviderAccountId, provider.ProviderName,
                    open ? null : new ProbeTarget(provider.ProviderName, edge.Host, service.Domain.Protocol == DomainProtocol.Https, service.Domain.Domain, path)
                    {
                        EdgePort = edge.Port,
                        EdgeTls = edge.Tls,
                    }));
            }
        }

        var samples = await Task.WhenAll(work.Select(async w =>
        {
            if (w.Target is null)
            {
                var at = clock.GetUtcNow();
                return new ProbeSample
                {
                    ServiceId = w.ServiceId, ProviderAccountId = w.AccountId, ProviderName = w.Provider, At = at, Outcome = ProbeOutcome.Skipped,
                    Error = "Not probed: the portal's circuit for this provider account is open (its API failed), which is not a fault of its edge.",
                };
            }
            var m = await prober.ProbeAsync(w.Target, cancellationToken);
            return new ProbeSample
            {
                ServiceId = w.ServiceId, ProviderAccountId = w.AccountId, ProviderName = w.Provider, At = m.StartedAt, Outcome = m.Outcome,
                DnsMs = m.DnsMs, ConnectMs = m.ConnectMs, TlsMs = m.TlsMs, FirstByteMs = m.FirstByteMs, TotalMs = m.TotalMs,
                Status = m.Status, Bytes = m.Bytes, CacheStatus = m.CacheStatus, Error = m.Error,
            };
        }));
        if (samples.Length > 0)
        {
            // One batched insert of new rows that nothing changes afterwards: no change detection over them.
            db.ChangeTracker.AutoDetectChangesEnabled = false;
            db.AddRange(samples);
            await db.SaveChangesAsync(cancellationToken);
        }
        return new ProbeRoundResult(due, samples.Count(s => s.Outcome != ProbeOutcome.Skipped), samples.Count(s => s.Outcome == ProbeOutcome.Skipped));
    }

    /// <summary>The host of an access URL, which drivers store as a bare host name ("x.global.prod.fastly.net") or a URL.</summary>
    public static string? EdgeHostOf(string providerUrl) => EdgeOf(providerUrl)?.Host;

    /// <summary>
    /// Where an access URL points: its host, and its port and TLS where it says (a cache node's access URL is the URL
    /// viewers use, <c>http://127.0.0.1:8080</c> or <c>cache1.example.net:8080</c>; a CDN's a bare host name, whose
    /// port and TLS follow the domain's protocol).
    /// </summary>
    public static ProbeEdge? EdgeOf(string providerUrl)
    {
        var text = providerUrl.Trim();
        if (text.Length == 0)
        {
            return null;
        }
        var hasScheme = text.Contains("://", StringComparison.Ordinal);
        if (!hasScheme)
        {
            text = "http://" + text;
        }
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Host.Length == 0 || uri.Scheme is not ("http" or "https"))
        {
            return null;
        }
        return new ProbeEdge(uri.Host.TrimEnd('.'), hasScheme || !uri.IsDefaultPort ? uri.Port : null, hasScheme ? uri.Scheme == Uri.UriSchemeHttps : null);
    }
}
