namespace Poppy.Portal.Simulators.Hosting;

/// <summary>What every vendor module shares: options, clock, id source and (once started) the base URL.</summary>
internal sealed class SimulatorContext(SimulatorOptions options)
{
    public SimulatorOptions Options { get; } = options;
    public TimeProvider Clock => Options.TimeProvider;
    public IdGenerator Ids { get; } = new(options.RandomSeed);

    /// <summary>Set once Kestrel has bound its port.</summary>
    public Uri BaseUrl { get; set; } = new("http://127.0.0.1/");

    public DateTimeOffset Now => Clock.GetUtcNow();
}

/// <summary>Seeded ids, so the same run produces the same ids.</summary>
internal sealed class IdGenerator(int seed)
{
    public const string UpperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    public const string LowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789";
    public const string MixedAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    public const string Digits = "0123456789";
    public const string Hex = "0123456789abcdef";

    private readonly Lock gate = new();
    private readonly Random random = new(seed);

    public string Next(string alphabet, int length)
    {
        lock (gate)
        {
            return string.Create(length, (alphabet, random), static (span, state) =>
            {
                for (var i = 0; i < span.Length; i++)
                {
                    span[i] = state.alphabet[state.random.Next(state.alphabet.Length)];
                }
            });
        }
    }

    public Guid NextGuid()
    {
        Span<byte> bytes = stackalloc byte[16];
        lock (gate)
        {
            random.NextBytes(bytes);
        }

        return new Guid(bytes);
    }
}
