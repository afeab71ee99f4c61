namespace Poppy.Portal.Simulators.Dns;

/// <summary>A zone a simulated DNS vendor holds: its vendor id and name (no trailing dot).</summary>
public sealed record SimulatedDnsZone(string Id, string Name);

/// <summary>A record a simulated DNS vendor serves now: names without trailing dots, lower case.</summary>
/// <param name="SetIdentifier">Route 53's weighted sets: the set's identifier within the name and type (null for a plain set).</param>
/// <param name="Weight">Route 53's weighted sets: the set's weight, 0..255.</param>
public sealed record SimulatedDnsRecord(string Id, string ZoneId, string Name, string Type, string Data, int Ttl, string? SetIdentifier = null, int? Weight = null);

/// <summary>
/// One vendor's zones and records. Changes a vendor makes later (Rackspace's jobs) are scheduled and applied once due,
/// on the simulator's clock, whenever the store is next read or written.
/// </summary>
internal sealed class DnsZoneStore(TimeProvider clock)
{
    private readonly Lock gate = new();
    private readonly List<SimulatedDnsZone> zones = [];
    private readonly List<SimulatedDnsRecord> records = [];
    private readonly List<(DateTimeOffset Due, Action Apply)> scheduled = [];
    private bool settling;

    public IReadOnlyList<SimulatedDnsZone> Zones
    {
        get
        {
            lock (gate)
            {
                return [.. zones];
            }
        }
    }

    /// <summary>Every record served now, in the order they were made.</summary>
    public IReadOnlyList<SimulatedDnsRecord> Records
    {
        get
        {
            lock (gate)
            {
                SettleLocked();
                return [.. records];
            }
        }
    }

    public void AddZone(SimulatedDnsZone zone)
    {
        lock (gate)
        {
            zones.Add(zone);
        }
    }

    public SimulatedDnsZone? FindZoneByName(string name) =>
        Zones.FirstOrDefault(z => string.Equals(z.Name, Normalize(name), StringComparison.OrdinalIgnoreCase));

    public SimulatedDnsZone? FindZone(string id) => Zones.FirstOrDefault(z => z.Id == id);

    public IReadOnlyList<SimulatedDnsRecord> InZone(string zoneId) => [.. Records.Where(r => r.ZoneId == zoneId)];

    public SimulatedDnsRecord? Find(string zoneId, string recordId) => Records.FirstOrDefault(r => r.ZoneId == zoneId && r.Id == recordId);

    public SimulatedDnsRecord? FindByName(string zoneId, string name, string type) =>
        Records.FirstOrDefault(r => r.ZoneId == zoneId && r.Type == type && r.Name == Normalize(name));

    /// <summary>Adds or replaces (by id) a record.</summary>
    public void Put(SimulatedDnsRecord record)
    {
        lock (gate)
        {
            SettleLocked();
            records.RemoveAll(r => r.Id == record.Id);
            // Host names compare without case or final dot; other data (TXT) is kept as sent.
            records.Add(record with { Name = Normalize(record.Name), Data = record.Type is "CNAME" or "NS" ? Normalize(record.Data) : record.Data });
        }
    }

    public bool Remove(string recordId)
    {
        lock (gate)
        {
            SettleLocked();
            return records.RemoveAll(r => r.Id == recordId) > 0;
        }
    }

    /// <summary>Runs <paramref name="apply"/> once the clock reaches <paramref name="due"/> (at the next read or write).</summary>
    public void Schedule(DateTimeOffset due, Action apply)
    {
        lock (gate)
        {
            scheduled.Add((due, apply));
        }
    }

    /// <summary>Applies what is due; the handlers call it before answering so a poll sees a job's result.</summary>
    public void Settle()
    {
        lock (gate)
        {
            SettleLocked();
        }
    }

    public static string Normalize(string name) => name.Trim().TrimEnd('.').ToLowerInvariant();

    private void SettleLocked()
    {
        // Applying a change calls Put/Remove, which settle again: the flag keeps that from re-running the same items.
        if (settling)
        {
            return;
        }

        settling = true;
        try
        {
            var now = clock.GetUtcNow();
            var due = scheduled.Where(s => s.Due <= now).OrderBy(s => s.Due).ToList();
            foreach (var item in due)
            {
                scheduled.Remove(item);
                item.Apply();
            }
        }
        finally
        {
            settling = false;
        }
    }
}
