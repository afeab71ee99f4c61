using System.Net;
using System.Text.RegularExpressions;
using Poppy.Portal.Core.Features.Users;

namespace Poppy.Portal.Web.Tests.Account;

public sealed partial class PasswordTests : PortalTest
{

    [Fact]
    public async Task Forgot_password_answers_alike_for_known_and_unknown_addresses_and_mails_only_the_known_one()
    {
        await Portal.CreateUserAsync("known@test.local", PortalRoles.Viewer, PortalFactory.FirstProject);
        using var client = Portal.CreatePortalClient();

        using var known = await RequestResetAsync(client, "known@test.local");
        using var unknown = await RequestResetAsync(client, "unknown@test.local");

        Assert.Equal(HttpStatusCode.Redirect, known.StatusCode);
        Assert.Equal(known.StatusCode, unknown.StatusCode);
        Assert.Equal(known.Headers.Location, unknown.Headers.Location);
        var mails = Directory.GetFiles(Portal.MailFolder, "*.eml");
        Assert.Single(mails);
        Assert.Contains("To: known@test.local", await File.ReadAllTextAsync(mails[0]));
    }

    [Fact]
    public async Task The_mailed_link_sets_a_new_password_once()
    {
        await Portal.CreateUserAsync("reset@test.local", PortalRoles.Operator, PortalFactory.FirstProject);
        using var client = Portal.CreatePortalClient();
        (await RequestResetAsync(client, "reset@test.local")).Dispose();
        var link = ResetLink().Match(await File.ReadAllTextAsync(Directory.GetFiles(Portal.MailFolder, "*.eml").Single())).Value;
        var pathAndQuery = new Uri(link).PathAndQuery;
        var fields = new Dictionary<string, string>
        {
            ["Input.Password"] = "Brand-New-Password-2!",
            ["Input.ConfirmPassword"] = "Brand-New-Password-2!",
            ["Input.Email"] = "reset@test.local",
        };

        using var reset = await client.SubmitFormAsync(pathAndQuery, fields, "reset-password");
        using var again = await client.SubmitFormAsync(pathAndQuery, fields, "reset-password");

        Assert.Equal(HttpStatusCode.Redirect, reset.StatusCode);
        Assert.Equal("/account/login?reset=true", reset.Headers.Location?.AbsolutePath + reset.Headers.Location?.Query);
        Assert.Contains("invalid or has expired", await again.Content.ReadAsStringAsync());
        await client.SignInOrFailAsync("reset@test.local", "Brand-New-Password-2!");
        using var fresh = Portal.CreatePortalClient();
        using var oldPassword = await fresh.SignInAsync("reset@test.local", "User-Password-1!");
        Assert.Equal(HttpStatusCode.OK, oldPassword.StatusCode);
    }

    [Fact]
    public async Task A_viewer_changes_their_own_password_and_stays_signed_in()
    {
        var password = await Portal.CreateUserAsync("self@test.local", PortalRoles.Viewer, PortalFactory.FirstProject);
        using var client = Portal.CreatePortalClient();
        await client.SignInOrFailAsync("self@test.local", password);

        using var wrongCurrent = await ChangeAsync(client, "Wrong-Current-1!", "Another-Password-3!");
        using var changed = await ChangeAsync(client, password, "Another-Password-3!");

        Assert.Contains("The current password is wrong.", await wrongCurrent.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Contains("data-testid=\"password-changed\"", await changed.Content.ReadAsStringAsync());
        await client.GetPageAsync("/");
        using var fresh = Portal.CreatePortalClient();
        await fresh.SignInOrFailAsync("self@test.local", "Another-Password-3!");
    }

    private static Task<HttpResponseMessage> RequestResetAsync(PortalClient client, string email) =>
        client.SubmitFormAsync("/account/forgot-password", new Dictionary<string, string> { ["Input.Email"] = email }, "forgot-password");

    private static Task<HttpResponseMessage> ChangeAsync(PortalClient client, string current, string next) =>
        client.SubmitFormAsync("/account/password", new Dictionary<string, string>
        {
            ["Input.CurrentPassword"] = current,
            ["Input.NewPassword"] = next,
            ["Input.ConfirmPassword"] = next,
        }, "change-password");

    [GeneratedRegex(@"http://\S+/account/reset-password\?\S+")]
    private static partial Regex ResetLink();
}
