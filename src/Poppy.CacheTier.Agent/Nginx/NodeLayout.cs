namespace Poppy.CacheTier.Agent.Nginx;

/// <summary>The node's folder, one place for every path in it.</summary>
internal sealed class NodeLayout
{
    public NodeLayout(string directory)
    {
        Root = Path.GetFullPath(directory);
        Conf = Path.Combine(Root, "conf");
        Services = Path.Combine(Conf, "services");
        Staging = Path.Combine(Root, "staging");
        StagingServices = Path.Combine(Staging, "services");
        State = Path.Combine(Root, "state");
        Cache = Path.Combine(Root, "cache");
        Temp = Path.Combine(Root, "temp");
        Logs = Path.Combine(Root, "logs");
        Run = Path.Combine(Root, "run");
    }

    public string Root { get; }

    public string Conf { get; }

    /// <summary>One <c>{service}.conf</c> per service, included by the main configuration.</summary>
    public string Services { get; }

    /// <summary>Where a candidate configuration is assembled for <c>nginx -t</c>.</summary>
    public string Staging { get; }

    public string StagingServices { get; }

    /// <summary>The service documents as received (<c>{service}.json</c>), re-rendered when the agent starts.</summary>
    public string State { get; }

    public string Cache { get; }

    public string Temp { get; }

    public string Logs { get; }

    public string Run { get; }

    public string MainConf => Path.Combine(Conf, "nginx.conf");

    public string StagingMainConf => Path.Combine(Staging, "nginx.conf");

    public string AgeScript => Path.Combine(Conf, "poppy.js");

    public string PidFile => Path.Combine(Run, "nginx.pid");

    /// <summary>The unix socket of the services' origin sides (see <see cref="NginxOptions.AlignCachedBodies"/>).</summary>
    public string OriginSocket => Path.Combine(Run, "origins.sock");

    /// <summary>A unix socket's path holds at most 107 bytes (sun_path).</summary>
    public bool OriginSocketFits => System.Text.Encoding.UTF8.GetByteCount(OriginSocket) <= 107;

    public string ErrorLog => Path.Combine(Logs, "error.log");

    public string ServiceConf(string serviceId) => Path.Combine(Services, serviceId + ".conf");

    public string ServiceState(string serviceId) => Path.Combine(State, serviceId + ".json");

    public string ServiceCache(string serviceId) => Path.Combine(Cache, serviceId);

    public void Create()
    {
        foreach (var dir in new[] { Conf, Services, Staging, StagingServices, State, Cache, Temp, Logs, Run })
        {
            Directory.CreateDirectory(dir);
        }
    }
}
