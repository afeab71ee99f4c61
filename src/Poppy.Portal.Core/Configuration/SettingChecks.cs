using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Poppy.Portal.Core.Configuration;

/// <summary>
/// Collects what is wrong with one options section, each problem naming its configuration key and the value found
/// ("Portal:Provisioning:CircuitBreaker:FailureRatio must be more than 0 and at most 1, not 1.5."), so a bad setting
/// stops the host at start with a message an operator can act on, rather than failing at the first call that reads it.
/// </summary>
public sealed class SettingChecks(string section)
{
    private readonly List<string> failures = [];

    /// <summary>The problems found so far.</summary>
    public IReadOnlyList<string> Failures => failures;

    /// <param name="key">The key under the section, ':'-separated ("CircuitBreaker:FailureRatio").</param>
    /// <param name="ok">Whether the value is acceptable.</param>
    /// <param name="value">The value found, shown in the message.</param>
    /// <param name="rule">What it must be, completing "must be …".</param>
    public SettingChecks Require(string key, bool ok, object? value, string rule)
    {
        if (!ok)
        {
            failures.Add($"{section}:{key} must be {rule}, not {Show(value)}.");
        }
        return this;
    }

    public SettingChecks AtLeast(string key, int value, int minimum) => Require(key, value >= minimum, value, $"at least {minimum}");

    public SettingChecks Between(string key, int value, int minimum, int maximum) =>
        Require(key, value >= minimum && value <= maximum, value, $"between {minimum} and {maximum}");

    /// <summary>A duration within [<paramref name="minimum"/>, <paramref name="maximum"/>].</summary>
    public SettingChecks Between(string key, TimeSpan value, TimeSpan minimum, TimeSpan maximum) =>
        Require(key, value >= minimum && value <= maximum, value, $"between {Show(minimum)} and {Show(maximum)}");

    /// <summary>A duration longer than zero and at most <paramref name="maximum"/>.</summary>
    public SettingChecks Positive(string key, TimeSpan value, TimeSpan maximum) =>
        Require(key, value > TimeSpan.Zero && value <= maximum, value, $"longer than 0 and at most {Show(maximum)}");

    public SettingChecks NotBlank(string key, string? value) => Require(key, !string.IsNullOrWhiteSpace(value), value, "set (not empty)");

    public ValidateOptionsResult Result() => failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

    private static string Show(object? value) => value switch
    {
        null => "empty",
        string text => $"'{text}'",
        TimeSpan duration => duration.ToString("c", CultureInfo.InvariantCulture),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}

/// <summary>An <see cref="IValidateOptions{TOptions}"/> written as a function over <see cref="SettingChecks"/>.</summary>
internal sealed class SettingValidator<TOptions>(string section, Action<TOptions, SettingChecks> check) : IValidateOptions<TOptions>
    where TOptions : class
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        var checks = new SettingChecks(section);
        check(options, checks);
        return checks.Result();
    }
}

public static class SettingChecksExtensions
{
    /// <summary>Validates the options with <paramref name="check"/> when the host starts (and whenever they are read).</summary>
    public static OptionsBuilder<TOptions> ValidateSettings<TOptions>(this OptionsBuilder<TOptions> builder, string section, Action<TOptions, SettingChecks> check)
        where TOptions : class
    {
        builder.Services.AddSingleton<IValidateOptions<TOptions>>(new SettingValidator<TOptions>(section, check));
        return builder.ValidateOnStart();
    }
}
