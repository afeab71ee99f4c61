using System.Globalization;
using System.Text.RegularExpressions;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Core.Features.Validation;

namespace Poppy.Portal.Web.Features.Services;

/// <summary>
/// What the service form edits: <see cref="ServiceSpec"/> with strings wherever people type numbers or pick enum names,
/// so "abc" in a port becomes a message next to the port rather than a failure. Fields are named by <see cref="FormPath"/>
/// (Input.Origins[0].Rules[2].RequestUrl), so the catalog's messages find them; <see cref="ForNew"/> and
/// <see cref="FromSpec"/> set the starting values.
/// </summary>
public sealed partial class ServiceFormModel
{
    public const string RefreshAction = "refresh";

    public string Name { get; set; } = "";
    public string FlavorId { get; set; } = "";
    public List<DomainRow> Domains { get; set; } = [];
    public List<OriginRow> Origins { get; set; } = [];
    public List<CachingRow> Caching { get; set; } = [];
    public List<RestrictionRow> Restrictions { get; set; } = [];
    public bool LogDelivery { get; set; }
    public DeliveryFields Delivery { get; set; } = new();

    public sealed class DomainRow
    {
        public string Domain { get; set; } = "";
        public string Protocol { get; set; } = WireNames<DomainProtocol>.Of(DomainProtocol.Http);
        public string Certificate { get; set; } = "";
    }

    public sealed class OriginRow
    {
        public string Origin { get; set; } = "";
        public string Port { get; set; } = "80";
        public bool Ssl { get; set; }
        public string HostHeaderType { get; set; } = WireNames<Core.Features.Services.HostHeaderType>.Of(Core.Features.Services.HostHeaderType.Domain);
        public string HostHeaderValue { get; set; } = "";
        public List<RuleRow> Rules { get; set; } = [];
    }

    public sealed class RuleRow
    {
        public string Name { get; set; } = "";
        public string RequestUrl { get; set; } = "";
    }

    public sealed class CachingRow
    {
        public string Name { get; set; } = "";
        public string Ttl { get; set; } = "";
        public List<RuleRow> Rules { get; set; } = [];
    }

    public sealed class RestrictionRow
    {
        public string Name { get; set; } = "";
        public string Access { get; set; } = WireNames<RestrictionAccess>.Of(RestrictionAccess.Whitelist);
        public List<RestrictionRuleRow> Rules { get; set; } = [];
    }

    public sealed class RestrictionRuleRow
    {
        public string Name { get; set; } = "";
        public string Kind { get; set; } = WireNames<RestrictionKind>.Of(RestrictionKind.Geography);
        public string Value { get; set; } = "";
        public string RequestUrl { get; set; } = "";
    }

    public sealed class DeliveryFields
    {
        public string ViewerProtocolPolicy { get; set; } = WireNames<Core.Features.Services.ViewerProtocolPolicy>.Of(Core.Features.Services.ViewerProtocolPolicy.AllowAll);
        public string OriginProtocolPolicy { get; set; } = WireNames<Core.Features.Services.OriginProtocolPolicy>.Of(Core.Features.Services.OriginProtocolPolicy.MatchViewer);
        public string DefaultRootObject { get; set; } = "";
        public bool ForwardQueryStrings { get; set; }
        public bool ForwardCookies { get; set; }
        public string MinTtl { get; set; } = "";
        public string DefaultTtl { get; set; } = "";
        public string MaxTtl { get; set; } = "";
    }

    /// <summary>
    /// Replaces the nulls form binding leaves (an empty text field binds as null, a list without rows as null) with
    /// empty values, so the rest of the code can trust the declared types.
    /// </summary>
    public ServiceFormModel Normalize()
    {
        Name ??= "";
        FlavorId ??= "";
        Domains = (Domains ?? []).Select(d => d ?? new DomainRow()).ToList();
        foreach (var domain in Domains)
        {
            domain.Domain ??= "";
            domain.Protocol ??= "";
            domain.Certificate ??= "";
        }
        Origins = (Origins ?? []).Select(o => o ?? new OriginRow()).ToList();
        foreach (var origin in Origins)
        {
            origin.Origin ??= "";
            origin.Port ??= "";
            origin.HostHeaderType ??= "";
            origin.HostHeaderValue ??= "";
            origin.Rules = Normalize(origin.Rules);
        }
        Caching = (Caching ?? []).Select(c => c ?? new CachingRow()).ToList();
        foreach (var caching in Caching)
        {
            caching.Name ??= "";
            caching.Ttl ??= "";
            caching.Rules = Normalize(caching.Rules);
        }
        Restrictions = (Restrictions ?? []).Select(r => r ?? new RestrictionRow()).ToList();
        foreach (var restriction in Restrictions)
        {
            restriction.Name ??= "";
            restriction.Access ??= "";
            restriction.Rules = (restriction.Rules ?? []).Select(r => r ?? new RestrictionRuleRow()).ToList();
            foreach (var rule in restriction.Rules)
            {
                rule.Name ??= "";
                rule.Kind ??= "";
                rule.Value ??= "";
                rule.RequestUrl ??= "";
            }
        }
        Delivery ??= new DeliveryFields();
        Delivery.ViewerProtocolPolicy ??= "";
        Delivery.OriginProtocolPolicy ??= "";
        Delivery.DefaultRootObject ??= "";
        Delivery.MinTtl ??= "";
        Delivery.DefaultTtl ??= "";
        Delivery.MaxTtl ??= "";
        return this;
    }

    private static List<RuleRow> Normalize(List<RuleRow>? rules)
    {
        var rows = (rules ?? []).Select(r => r ?? new RuleRow()).ToList();
        foreach (var row in rows)
        {
            row.Name ??= "";
            row.RequestUrl ??= "";
        }
        return rows;
    }

    /// <summary>A blank service: one empty domain and origin, the document's delivery defaults, the given flavor.</summary>
    public static ServiceFormModel ForNew(string? flavorId)
    {
        var model = FromSpec(new ServiceSpec { FlavorId = flavorId ?? "" });
        model.Domains.Add(new DomainRow());
        model.Origins.Add(new OriginRow());
        return model;
    }

    /// <summary>The form for a stored document (pass it through <see cref="ServiceCatalog.ForEditing"/> first).</summary>
    public static ServiceFormModel FromSpec(ServiceSpec spec) => new()
    {
        Name = spec.Name,
        FlavorId = spec.FlavorId,
        Domains = spec.Domains.Select(d => new DomainRow
        {
            Domain = d.Domain,
            Protocol = WireNames<DomainProtocol>.Of(d.Protocol),
            Certificate = d.Certificate is { } certificate ? WireNames<CertificateType>.Of(certificate) : "",
        }).ToList(),
        Origins = spec.Origins.Select(o => new OriginRow
        {
            Origin = o.Origin,
            Port = o.Port.ToString(CultureInfo.InvariantCulture),
            Ssl = o.Ssl,
            HostHeaderType = WireNames<Core.Features.Services.HostHeaderType>.Of(o.HostHeaderType),
            HostHeaderValue = o.HostHeaderType == Core.Features.Services.HostHeaderType.Custom ? o.HostHeaderValue ?? "" : "",
            Rules = o.Rules.Select(ToRow).ToList(),
        }).ToList(),
        Caching = spec.Caching.Select(c => new CachingRow
        {
            Name = c.Name,
            Ttl = c.Ttl.ToString(CultureInfo.InvariantCulture),
            Rules = c.Rules.Select(ToRow).ToList(),
        }).ToList(),
        Restrictions = spec.Restrictions.Select(r => new RestrictionRow
        {
            Name = r.Name,
            Access = WireNames<RestrictionAccess>.Of(r.Access),
            Rules = r.Rules.Select(rule => new RestrictionRuleRow
            {
                Name = rule.Name ?? "",
                Kind = WireNames<RestrictionKind>.Of(rule.Kind),
                Value = rule.Value ?? "",
                RequestUrl = rule.RequestUrl,
            }).ToList(),
        }).ToList(),
        LogDelivery = spec.LogDelivery.Enabled,
        Delivery = new DeliveryFields
        {
            ViewerProtocolPolicy = WireNames<Core.Features.Services.ViewerProtocolPolicy>.Of(spec.Delivery.ViewerProtocolPolicy),
            OriginProtocolPolicy = WireNames<Core.Features.Services.OriginProtocolPolicy>.Of(spec.Delivery.OriginProtocolPolicy),
            DefaultRootObject = spec.Delivery.DefaultRootObject ?? "",
            ForwardQueryStrings = spec.Delivery.ForwardQueryStrings,
            ForwardCookies = spec.Delivery.ForwardCookies,
            MinTtl = spec.Delivery.MinTtl.ToString(CultureInfo.InvariantCulture),
            DefaultTtl = spec.Delivery.DefaultTtl.ToString(CultureInfo.InvariantCulture),
            MaxTtl = spec.Delivery.MaxTtl.ToString(CultureInfo.InvariantCulture),
        },
    };

    /// <summary>
    /// The document this form describes. Fields that are not numbers or not one of the offered names are reported in
    /// <paramref name="errors"/> under their document path (and left at 0 / the default in the result).
    /// </summary>
    public ServiceSpec ToSpec(out List<ValidationError> errors)
    {
        var found = new List<ValidationError>();
        errors = found;
        var spec = new ServiceSpec { Name = Name.Trim(), FlavorId = FlavorId.Trim() };

        for (var i = 0; i < Domains.Count; i++)
        {
            var row = Domains[i];
            var domain = new DomainSpec { Domain = row.Domain.Trim(), Protocol = Choice<DomainProtocol>(row.Protocol, $"domains[{i}].protocol", found) };
            // The certificate select stays in the page for http rows (hidden); only https uses it.
            if (domain.Protocol == DomainProtocol.Https && row.Certificate.Length > 0)
            {
                domain.Certificate = Choice<CertificateType>(row.Certificate, $"domains[{i}].certificate", found);
            }
            spec.Domains.Add(domain);
        }

        for (var i = 0; i < Origins.Count; i++)
        {
            var row = Origins[i];
            var origin = new OriginSpec
            {
                Origin = row.Origin.Trim(),
                Port = (int)Number(row.Port, $"origins[{i}].port", "a port number: 80 or 443", int.MaxValue, found),
                Ssl = row.Ssl,
                HostHeaderType = Choice<Core.Features.Services.HostHeaderType>(row.HostHeaderType, $"origins[{i}].hostheadertype", found),
                Rules = row.Rules.Select(ToSpec).ToList(),
            };
            if (origin.HostHeaderType == Core.Features.Services.HostHeaderType.Custom)
            {
                origin.HostHeaderValue = row.HostHeaderValue.Trim();
            }
            spec.Origins.Add(origin);
        }

        for (var i = 0; i < Caching.Count; i++)
        {
            var row = Caching[i];
            spec.Caching.Add(new CachingRuleSpec
            {
                Name = row.Name.Trim(),
                Ttl = (int)Number(row.Ttl, $"caching[{i}].ttl", Seconds, int.MaxValue, found),
                Rules = row.Rules.Select(ToSpec).ToList(),
            });
        }

        for (var i = 0; i < Restrictions.Count; i++)
        {
            var row = Restrictions[i];
            var restriction = new RestrictionSpec
            {
                Name = row.Name.Trim(),
                Access = Choice<RestrictionAccess>(row.Access, $"restrictions[{i}].access", found),
            };
            for (var r = 0; r < row.Rules.Count; r++)
            {
                var ruleRow = row.Rules[r];
                var rule = new RestrictionRuleSpec
                {
                    Name = ruleRow.Name.Trim() is { Length: > 0 } name ? name : null,
                    RequestUrl = ruleRow.RequestUrl.Trim(),
                };
                var value = ruleRow.Value.Trim();
                switch (Choice<RestrictionKind>(ruleRow.Kind, $"restrictions[{i}].rules[{r}].kind", found))
                {
                    case RestrictionKind.Referrer: rule.Referrer = value; break;
                    case RestrictionKind.Geography: rule.Geography = value; break;
                    default: rule.ClientIp = value; break;
                }
                restriction.Rules.Add(rule);
            }
            spec.Restrictions.Add(restriction);
        }

        spec.LogDelivery.Enabled = LogDelivery;
        spec.Delivery = new DeliverySettings
        {
            ViewerProtocolPolicy = Choice<Core.Features.Services.ViewerProtocolPolicy>(Delivery.ViewerProtocolPolicy, "delivery.viewer_protocol_policy", found),
            OriginProtocolPolicy = Choice<Core.Features.Services.OriginProtocolPolicy>(Delivery.OriginProtocolPolicy, "delivery.origin_protocol_policy", found),
            DefaultRootObject = Delivery.DefaultRootObject.Trim() is { Length: > 0 } root ? root : null,
            ForwardQueryStrings = Delivery.ForwardQueryStrings,
            ForwardCookies = Delivery.ForwardCookies,
            MinTtl = Number(Delivery.MinTtl, "delivery.min_ttl", Seconds, long.MaxValue, found),
            DefaultTtl = Number(Delivery.DefaultTtl, "delivery.default_ttl", Seconds, long.MaxValue, found),
            MaxTtl = Number(Delivery.MaxTtl, "delivery.max_ttl", Seconds, long.MaxValue, found),
        };
        return spec;
    }

    [GeneratedRegex(@"\A(?<verb>[a-z-]+)(:(?<i>\d{1,3}))?(:(?<r>\d{1,3}))?\z", RegexOptions.CultureInvariant)]
    private static partial Regex ActionPattern();

    /// <summary>
    /// Adds or removes a row: "add-domain", "remove-domain:1", "add-origin-rule:0", "remove-caching-rule:0:2", ...
    /// Returns false for anything else (including indexes that do not exist), leaving the form as posted.
    /// </summary>
    public bool ApplyRowAction(string action)
    {
        var match = ActionPattern().Match(action);
        if (!match.Success)
        {
            return false;
        }
        var i = match.Groups["i"].Success ? int.Parse(match.Groups["i"].Value, CultureInfo.InvariantCulture) : -1;
        var r = match.Groups["r"].Success ? int.Parse(match.Groups["r"].Value, CultureInfo.InvariantCulture) : -1;
        return match.Groups["verb"].Value switch
        {
            RefreshAction => true,
            "add-domain" => Add(Domains, new DomainRow(), ServiceLimits.MaxDomains),
            "remove-domain" => Remove(Domains, i),
            "add-origin" => Add(Origins, new OriginRow(), ServiceLimits.MaxOrigins),
            "remove-origin" => Remove(Origins, i),
            "add-origin-rule" => InRange(Origins, i) && Add(Origins[i].Rules, new RuleRow()),
            "remove-origin-rule" => InRange(Origins, i) && Remove(Origins[i].Rules, r),
            "add-caching" => Add(Caching, new CachingRow()),
            "remove-caching" => Remove(Caching, i),
            "add-caching-rule" => InRange(Caching, i) && Add(Caching[i].Rules, new RuleRow()),
            "remove-caching-rule" => InRange(Caching, i) && Remove(Caching[i].Rules, r),
            "add-restriction" => Add(Restrictions, new RestrictionRow { Rules = [new RestrictionRuleRow()] }),
            "remove-restriction" => Remove(Restrictions, i),
            "add-restriction-rule" => InRange(Restrictions, i) && Add(Restrictions[i].Rules, new RestrictionRuleRow()),
            "remove-restriction-rule" => InRange(Restrictions, i) && Remove(Restrictions[i].Rules, r),
            _ => false,
        };
    }

    /// <summary>
    /// The field a document path is shown at. Paths into rows the form does not show (the "/*" rule the catalog adds to
    /// an origin without rules) go to the list that would hold them, so no message is lost.
    /// </summary>
    public string FieldFor(string path)
    {
        var match = RulePathPattern().Match(path);
        if (match.Success)
        {
            var section = match.Groups["section"].Value;
            var i = int.Parse(match.Groups["i"].Value, CultureInfo.InvariantCulture);
            var r = int.Parse(match.Groups["r"].Value, CultureInfo.InvariantCulture);
            var rows = section switch
            {
                "origins" => Origins.ElementAtOrDefault(i)?.Rules.Count,
                "caching" => Caching.ElementAtOrDefault(i)?.Rules.Count,
                _ => Restrictions.ElementAtOrDefault(i)?.Rules.Count,
            };
            if (rows is null)
            {
                return FormPath.ToFieldName(section);
            }
            if (r >= rows)
            {
                return FormPath.ToFieldName($"{section}[{i}].rules");
            }
        }
        return FormPath.ToFieldName(path);
    }

    [GeneratedRegex(@"^(?<section>origins|caching|restrictions)\[(?<i>\d+)\]\.rules\[(?<r>\d+)\]", RegexOptions.CultureInvariant)]
    private static partial Regex RulePathPattern();

    private static RuleRow ToRow(RuleSpec rule) => new() { Name = rule.Name, RequestUrl = rule.RequestUrl };

    private static RuleSpec ToSpec(RuleRow row) => new() { Name = row.Name.Trim(), RequestUrl = row.RequestUrl.Trim() };

    private static TEnum Choice<TEnum>(string? name, string path, List<ValidationError> errors) where TEnum : struct, Enum
    {
        if (WireNames<TEnum>.TryParse(name, out var value))
        {
            return value;
        }
        errors.Add(new ValidationError(path, $"Choose one of: {string.Join(", ", WireNames<TEnum>.All)}."));
        return default;
    }

    private static readonly string Seconds = $"a number of seconds from 0 to {ServiceLimits.MaxTtl}";

    /// <summary>
    /// Reads a whole number that fits the document's field; the document's own limits (80 or 443, 0 to one year) are the
    /// validator's to check, so both paths give the same message.
    /// </summary>
    private static long Number(string text, string path, string what, long typeMax, List<ValidationError> errors)
    {
        var trimmed = text.Trim();
        if (trimmed.Length == 0)
        {
            errors.Add(new ValidationError(path, $"Required: enter {what}."));
            return 0;
        }
        if (!long.TryParse(trimmed, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            var digits = trimmed.TrimStart('-', '+');
            errors.Add(new ValidationError(path, digits.Length > 0 && digits.All(char.IsAsciiDigit)
                ? $"{trimmed} is too large; enter {what}."
                : $"'{trimmed}' is not a whole number; enter {what}."));
            return 0;
        }
        if (value > typeMax || value < -typeMax - 1)
        {
            errors.Add(new ValidationError(path, $"{trimmed} is too large; enter {what}."));
            return 0;
        }
        return value;
    }

    private static bool InRange<T>(List<T> rows, int index) => index >= 0 && index < rows.Count;

    private static bool Add<T>(List<T> rows, T row, int max = int.MaxValue)
    {
        if (rows.Count >= max)
        {
            return false;
        }
        rows.Add(row);
        return true;
    }

    private static bool Remove<T>(List<T> rows, int index)
    {
        if (!InRange(rows, index))
        {
            return false;
        }
        rows.RemoveAt(index);
        return true;
    }
}
