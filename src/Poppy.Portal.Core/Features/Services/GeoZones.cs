namespace Poppy.Portal.Core.Features.Services;

/// <summary>
/// The geography names a restriction may use: Poppy's regions and countries (its <c>geo_zones.py</c>, with the entries it
/// had fused by a missing comma — "Costa Rica, Ecuador", "Jordan, Kenya" — split), each mapped to ISO 3166 codes so the
/// drivers can express them (CloudFront and Akamai take country codes).
/// </summary>
public static class GeoZones
{
    public const string NorthAmerica = "North America";
    public const string SouthAmerica = "South America";
    public const string Emea = "EMEA(Europe, Middle East and Africa)";
    public const string Japan = "Japan";
    public const string India = "India";
    public const string AustraliaNz = "Australia/NZ";
    public const string RestOfApac = "Rest Of APAC";

    private static readonly (string Region, string Country, string Code)[] Countries =
    [
        (NorthAmerica, "Antigua and Barbuda", "AG"), (NorthAmerica, "Aruba", "AW"), (NorthAmerica, "Bahamas", "BS"),
        (NorthAmerica, "Barbados", "BB"), (NorthAmerica, "Belize", "BZ"), (NorthAmerica, "Bermuda", "BM"),
        (NorthAmerica, "British Virgin Islands", "VG"), (NorthAmerica, "Cayman Islands", "KY"), (NorthAmerica, "Costa Rica", "CR"),
        (NorthAmerica, "Cuba", "CU"), (NorthAmerica, "Dominica", "DM"), (NorthAmerica, "Dominican Republic", "DO"),
        (NorthAmerica, "El Salvador", "SV"), (NorthAmerica, "Greenland", "GL"), (NorthAmerica, "Grenada", "GD"),
        (NorthAmerica, "Guadeloupe", "GP"), (NorthAmerica, "Guatemala", "GT"), (NorthAmerica, "Haiti", "HT"),
        (NorthAmerica, "Honduras", "HN"), (NorthAmerica, "Jamaica", "JM"), (NorthAmerica, "Martinique", "MQ"),
        (NorthAmerica, "Mexico", "MX"), (NorthAmerica, "Montserrat", "MS"), (NorthAmerica, "Netherlands Antilles", "BQ"),
        (NorthAmerica, "Nicaragua", "NI"), (NorthAmerica, "USA", "US"), (NorthAmerica, "Canada", "CA"),
        (NorthAmerica, "Panama", "PA"), (NorthAmerica, "Puerto Rico", "PR"), (NorthAmerica, "St Kitts and Nevis", "KN"),
        (NorthAmerica, "St Lucia", "LC"), (NorthAmerica, "St Pierre and Miquelon", "PM"),
        (NorthAmerica, "St Vincent and The Grenadines", "VC"), (NorthAmerica, "Trinidad and Tobago", "TT"),
        (NorthAmerica, "Turks and Caicos Islands", "TC"), (NorthAmerica, "Virgin", "VI"),

        (SouthAmerica, "Argentina", "AR"), (SouthAmerica, "Bolivia", "BO"), (SouthAmerica, "Brazil", "BR"),
        (SouthAmerica, "Chile", "CL"), (SouthAmerica, "Colombia", "CO"), (SouthAmerica, "Ecuador", "EC"),
        (SouthAmerica, "Falkland Islands", "FK"), (SouthAmerica, "French Guiana", "GF"), (SouthAmerica, "Guyana", "GY"),
        (SouthAmerica, "Paraguay", "PY"), (SouthAmerica, "Peru", "PE"), (SouthAmerica, "South Georgia and South Sandwich", "GS"),
        (SouthAmerica, "Suriname", "SR"), (SouthAmerica, "Uruguay", "UY"), (SouthAmerica, "Venezuela", "VE"),

        (Emea, "Albania", "AL"), (Emea, "Algeria", "DZ"), (Emea, "Andorra", "AD"), (Emea, "Angola", "AO"), (Emea, "Austria", "AT"),
        (Emea, "Bahrain", "BH"), (Emea, "Belarus", "BY"), (Emea, "Belgium", "BE"), (Emea, "Benin", "BJ"),
        (Emea, "Bosnia and Herzegovina", "BA"), (Emea, "Botswana", "BW"), (Emea, "Bouvet Island", "BV"),
        (Emea, "British Indian Ocean Territory", "IO"), (Emea, "Bulgaria", "BG"), (Emea, "Burkina", "BF"), (Emea, "Burundi", "BI"),
        (Emea, "Cameroon", "CM"), (Emea, "Cape Verde", "CV"), (Emea, "Central African Republic", "CF"), (Emea, "Chad", "TD"),
        (Emea, "Comoros", "KM"), (Emea, "Congo", "CG"), (Emea, "Cote D'Ivoire", "CI"), (Emea, "Croatia", "HR"), (Emea, "Cyprus", "CY"),
        (Emea, "Czech Republic", "CZ"), (Emea, "Democratic Republic of Congo", "CD"), (Emea, "Denmark", "DK"), (Emea, "Djibouti", "DJ"),
        (Emea, "Egypt", "EG"), (Emea, "Equatorial Guinea", "GQ"), (Emea, "Eritrea", "ER"), (Emea, "Estonia", "EE"), (Emea, "Ethiopia", "ET"),
        (Emea, "Faeroe Islands", "FO"), (Emea, "Finland", "FI"), (Emea, "France", "FR"), (Emea, "France (European Territory)", "FX"),
        (Emea, "Gabon", "GA"), (Emea, "Gambia", "GM"), (Emea, "Germany", "DE"), (Emea, "Ghana", "GH"), (Emea, "Gibraltar", "GI"),
        (Emea, "Greece", "GR"), (Emea, "Guinea", "GN"), (Emea, "Guinea Bissau", "GW"), (Emea, "Hungary", "HU"), (Emea, "Iceland", "IS"),
        (Emea, "Iran", "IR"), (Emea, "Iraq", "IQ"), (Emea, "Ireland", "IE"), (Emea, "Israel", "IL"), (Emea, "Italy", "IT"),
        (Emea, "Jordan", "JO"), (Emea, "Kenya", "KE"), (Emea, "Kuwait", "KW"), (Emea, "Latvia", "LV"), (Emea, "Lebanon", "LB"),
        (Emea, "Lesotho", "LS"), (Emea, "Liberia", "LR"), (Emea, "Libya", "LY"), (Emea, "Liechtenstein", "LI"), (Emea, "Lithuania", "LT"),
        (Emea, "Luxembourg", "LU"), (Emea, "Macedonia", "MK"), (Emea, "Madagascar", "MG"), (Emea, "Malawi", "MW"), (Emea, "Mali", "ML"),
        (Emea, "Malta", "MT"), (Emea, "Mauritania", "MR"), (Emea, "Mauritius", "MU"), (Emea, "Mayotte", "YT"), (Emea, "Moldavia", "MD"),
        (Emea, "Monaco", "MC"), (Emea, "Morocco", "MA"), (Emea, "Mozambique", "MZ"), (Emea, "Namibia", "NA"), (Emea, "Netherlands", "NL"),
        (Emea, "Niger", "NE"), (Emea, "Nigeria", "NG"), (Emea, "Norway", "NO"), (Emea, "Oman", "OM"), (Emea, "Poland", "PL"),
        (Emea, "Portugal", "PT"), (Emea, "Qatar", "QA"), (Emea, "Reunion", "RE"), (Emea, "Romania", "RO"), (Emea, "Russia", "RU"),
        (Emea, "Rwanda", "RW"), (Emea, "San Marino", "SM"), (Emea, "Saudi Arabia", "SA"), (Emea, "Senegal", "SN"),
        (Emea, "Seychelles", "SC"), (Emea, "Sierra Leone", "SL"), (Emea, "Slovakia", "SK"), (Emea, "Slovenia", "SI"),
        (Emea, "Somalia", "SO"), (Emea, "South Africa", "ZA"), (Emea, "Spain", "ES"), (Emea, "St Helena", "SH"), (Emea, "Sudan", "SD"),
        (Emea, "St Tome and Principe", "ST"), (Emea, "Svalbard", "SJ"), (Emea, "Swaziland", "SZ"), (Emea, "Sweden", "SE"),
        (Emea, "Switzerland", "CH"), (Emea, "Syria", "SY"), (Emea, "Tanzania", "TZ"), (Emea, "Togo", "TG"), (Emea, "Tunisia", "TN"),
        (Emea, "Turkey", "TR"), (Emea, "Uganda", "UG"), (Emea, "United Arab Emirates", "AE"), (Emea, "United Kingdom", "GB"),
        (Emea, "Vatican City", "VA"), (Emea, "Western Sahara", "EH"), (Emea, "Yemen", "YE"), (Emea, "Yugoslavia", "RS"),
        (Emea, "Zambia", "ZM"), (Emea, "Zimbabwe", "ZW"),

        (Japan, "Japan", "JP"),
        (India, "India", "IN"),
        (AustraliaNz, "Australia", "AU"), (AustraliaNz, "New Zealand", "NZ"),

        (RestOfApac, "Afghanistan", "AF"), (RestOfApac, "American Samoa", "AS"), (RestOfApac, "Antarctica", "AQ"),
        (RestOfApac, "Armenia", "AM"), (RestOfApac, "Azerbaijan", "AZ"), (RestOfApac, "Bangladesh", "BD"), (RestOfApac, "Bhutan", "BT"),
        (RestOfApac, "Brunei", "BN"), (RestOfApac, "Cambodia", "KH"), (RestOfApac, "China", "CN"), (RestOfApac, "Christmas Island", "CX"),
        (RestOfApac, "Cocos", "CC"), (RestOfApac, "Cook Islands", "CK"), (RestOfApac, "East Timor", "TL"), (RestOfApac, "Fiji", "FJ"),
        (RestOfApac, "French Polynesia", "PF"), (RestOfApac, "French Southern Territories", "TF"), (RestOfApac, "Georgia", "GE"),
        (RestOfApac, "Guam", "GU"), (RestOfApac, "Heard and McDonald Islands", "HM"), (RestOfApac, "Hong Kong", "HK"),
        (RestOfApac, "Indonesia", "ID"), (RestOfApac, "Kazakhstan", "KZ"), (RestOfApac, "Kiribati", "KI"), (RestOfApac, "Kyrgyzstan", "KG"),
        (RestOfApac, "Laos", "LA"), (RestOfApac, "Macau", "MO"), (RestOfApac, "Malaysia", "MY"), (RestOfApac, "Maldives", "MV"),
        (RestOfApac, "Marshall Islands", "MH"), (RestOfApac, "Micronesia", "FM"), (RestOfApac, "Mongolia", "MN"), (RestOfApac, "Myanmar", "MM"),
        (RestOfApac, "Nauru", "NR"), (RestOfApac, "Nepal", "NP"), (RestOfApac, "New Caledonia", "NC"), (RestOfApac, "Niue", "NU"),
        (RestOfApac, "Norfolk Island", "NF"), (RestOfApac, "North Korea", "KP"), (RestOfApac, "Northern Mariana Islands", "MP"),
        (RestOfApac, "Pakistan", "PK"), (RestOfApac, "Palau", "PW"), (RestOfApac, "Papua New Guinea", "PG"),
        (RestOfApac, "Philippines", "PH"), (RestOfApac, "Pitcairn", "PN"), (RestOfApac, "Singapore", "SG"),
        (RestOfApac, "South Korea", "KR"), (RestOfApac, "Sri Lanka", "LK"), (RestOfApac, "Taiwan", "TW"), (RestOfApac, "Thailand", "TH"),
        (RestOfApac, "Vietnam", "VN"),
    ];

    private static readonly Dictionary<string, string[]> CodesByName = BuildCodes();

    /// <summary>Every accepted name, regions first, for form pickers.</summary>
    public static IReadOnlyList<string> Names { get; } = CodesByName.Keys.ToList();

    /// <summary>Names are matched exactly as Poppy does ("USA" yes, "US" no).</summary>
    public static bool IsKnown(string name) => CodesByName.ContainsKey(name);

    /// <summary>The ISO 3166-1 alpha-2 codes a name covers (one for a country, many for a region).</summary>
    public static IReadOnlyList<string> CountryCodes(string name) => CodesByName.TryGetValue(name, out var codes) ? codes : [];

    private static Dictionary<string, string[]> BuildCodes()
    {
        var codes = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var region in Countries.GroupBy(c => c.Region))
        {
            codes[region.Key] = region.Select(c => c.Code).Distinct().ToArray();
        }
        foreach (var country in Countries)
        {
            codes.TryAdd(country.Country, [country.Code]);
        }
        return codes;
    }
}
