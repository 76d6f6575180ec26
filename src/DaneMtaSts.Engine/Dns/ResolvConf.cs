using System.Net;

namespace DaneMtaSts.Engine.Dns;

/// <summary>
/// The <c>nameserver</c> lines of resolv.conf (resolv.conf(5)). Read directly because the
/// network-interface view of the system's resolvers skips hosts whose only interface is loopback
/// (containers, network namespaces such as the lab's), where resolv.conf is still the truth.
/// </summary>
public static class ResolvConf
{
    /// <summary>resolv.conf(5) honours at most this many nameserver lines (MAXNS); later ones are ignored.</summary>
    public const int MaxNameServers = 3;

    /// <summary>The resolvers of <paramref name="path"/>, port 53; empty when the file is absent or unreadable.</summary>
    public static IReadOnlyList<IPEndPoint> Read(string path = "/etc/resolv.conf")
    {
        string text;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists || info.Length > 64 * 1024)
            {
                return [];
            }

            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return [];
        }

        return Parse(text);
    }

    /// <summary>Parses resolv.conf text: "nameserver ADDRESS" lines, comments (# or ;) ignored, an IPv6 zone kept.</summary>
    public static IReadOnlyList<IPEndPoint> Parse(string text)
    {
        var servers = new List<IPEndPoint>();
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
            {
                continue;
            }

            string[] words = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (words.Length >= 2 && string.Equals(words[0], "nameserver", StringComparison.Ordinal) &&
                IPAddress.TryParse(words[1], out IPAddress? address) && servers.Count < MaxNameServers)
            {
                var endPoint = new IPEndPoint(address, 53);
                if (!servers.Contains(endPoint))
                {
                    servers.Add(endPoint);
                }
            }
        }

        return servers;
    }
}
