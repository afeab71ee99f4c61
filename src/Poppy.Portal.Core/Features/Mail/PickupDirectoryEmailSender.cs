using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Poppy.Portal.Core.Configuration;
using Poppy.Portal.Core.Features.Users;

namespace Poppy.Portal.Core.Features.Mail;

public sealed class MailOptions
{
    public const string Section = "Mail";

    /// <summary>Folder that receives one .eml file per message, for a mail relay (or a person, in development) to pick up.</summary>
    public string PickupDirectory { get; set; } = "App_Data/mail";

    public string From { get; set; } = "poppy-portal@localhost";

    public static void Check(MailOptions o, SettingChecks check) => check
        .NotBlank(nameof(PickupDirectory), o.PickupDirectory)
        .Require(nameof(From), System.Net.Mail.MailAddress.TryCreate(o.From, out var from) && from.DisplayName.Length == 0 && from.Address == o.From.Trim(),
            o.From, "an e-mail address such as poppy-portal@example.com");
}

/// <summary>
/// Writes Identity's mails (password reset) as RFC 5322 files into a pickup folder. No SMTP client is needed,
/// and the links inside never reach the logs.
/// </summary>
public sealed class PickupDirectoryEmailSender(IOptions<MailOptions> options, TimeProvider clock, ILogger<PickupDirectoryEmailSender> logger)
    : IEmailSender<PortalUser>
{
    public Task SendConfirmationLinkAsync(PortalUser user, string email, string confirmationLink) =>
        WriteAsync(email, "Confirm your Poppy Portal account", $"Confirm your account: {confirmationLink}");

    public Task SendPasswordResetLinkAsync(PortalUser user, string email, string resetLink) =>
        WriteAsync(email, "Reset your Poppy Portal password",
            $"Someone asked to reset the password of {email}. If it was you, open:\r\n\r\n{resetLink}\r\n\r\nOtherwise ignore this message.");

    public Task SendPasswordResetCodeAsync(PortalUser user, string email, string resetCode) =>
        WriteAsync(email, "Your Poppy Portal password reset code", $"Your reset code: {resetCode}");

    private async Task WriteAsync(string to, string subject, string body)
    {
        var folder = Path.GetFullPath(options.Value.PickupDirectory);
        Directory.CreateDirectory(folder);
        var now = clock.GetUtcNow();
        var file = Path.Combine(folder, $"{now:yyyyMMddHHmmssfff}-{Guid.NewGuid():N}.eml");
        var message = new StringBuilder()
            .Append("From: ").Append(options.Value.From).Append("\r\n")
            .Append("To: ").Append(to).Append("\r\n")
            .Append("Subject: ").Append(subject).Append("\r\n")
            .Append("Date: ").Append(now.ToString("r")).Append("\r\n")
            .Append("Content-Type: text/plain; charset=utf-8\r\n\r\n")
            .Append(body).Append("\r\n");
        await File.WriteAllTextAsync(file, message.ToString());
        logger.LogInformation("Mail '{Subject}' to {To} written to {File}.", subject, to, file);
    }
}
