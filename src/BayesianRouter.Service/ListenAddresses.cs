using System.Net;
using System.Net.Sockets;

namespace BayesianRouter.Service;

/// <summary>
/// The addresses a service binds for a host name: an IP address as given, <c>localhost</c> as 127.0.0.1, and any other
/// name as the addresses it resolves to. A name that does not resolve is an error: it never falls back to every
/// interface (which is what an unresolvable host in a URL does in Kestrel).
/// </summary>
public static class ListenAddresses
{
    /// <summary>The addresses of <paramref name="host"/>.</summary>
    /// <exception cref="ArgumentException">The host is empty or does not resolve to an address.</exception>
    public static IReadOnlyList<IPAddress> Resolve(string host)
    {
        if (string.IsNullOrWhiteSpace(host)) throw new ArgumentException("the host is empty: give an IP address such as 127.0.0.1, or a name this machine resolves");
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)) return [IPAddress.Loopback];
        var literal = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
        if (IPAddress.TryParse(literal, out var ip)) return [ip];
        IPAddress[] found;
        try
        {
            found = Dns.GetHostAddresses(host);
        }
        catch (Exception e) when (e is SocketException or ArgumentException)
        {
            throw new ArgumentException($"the host \"{host}\" does not resolve to an address ({e.Message}): give an IP address such as 127.0.0.1, or a name this machine resolves");
        }
        var usable = found.Where(a => a.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6).Distinct().ToArray();
        if (usable.Length == 0) throw new ArgumentException($"the host \"{host}\" resolves to no IP address: give an IP address such as 127.0.0.1");
        return usable;
    }

    /// <summary>True when every address of <paramref name="host"/> is a loopback address (false when it does not resolve).</summary>
    public static bool IsLoopback(string host)
    {
        try
        {
            return Resolve(host).All(IPAddress.IsLoopback);
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
