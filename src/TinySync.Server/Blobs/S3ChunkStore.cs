using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Polly;
using Polly.Retry;

namespace TinySync.Server.Blobs;

/// <summary>
/// Chunks as objects in an S3-compatible bucket: key <c>{prefix}/{hash[0..2]}/{hash}</c>. Content-addressed, so a
/// PUT is atomic and idempotent (S3 never exposes a partial object). Every read is hashed before it is returned;
/// transient failures (5xx, throttling, network) are retried with exponential backoff and jitter by one Polly
/// pipeline (the SDK's own retries are off so there is one policy to reason about); when retries run out the
/// caller gets <see cref="ChunkStoreUnavailableException"/>, answered with 503.
/// </summary>
public sealed class S3ChunkStore : IChunkStore, IDisposable
{
    readonly IAmazonS3 _s3;
    readonly ResiliencePipeline _retry;

    /// <summary>Wraps a configured client. <paramref name="prefix"/> may be empty.</summary>
    public S3ChunkStore(IAmazonS3 s3, string bucket, string prefix, int maxRetries = 4, TimeSpan? firstRetryDelay = null)
    {
        _s3 = s3;
        Bucket = bucket;
        Prefix = prefix.Trim('/');
        _retry = maxRetries <= 0 ? ResiliencePipeline.Empty : new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
            MaxRetryAttempts = maxRetries,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = firstRetryDelay ?? TimeSpan.FromMilliseconds(100),
            MaxDelay = TimeSpan.FromSeconds(5),
        }).Build();
    }

    /// <inheritdoc />
    public string Name => "s3";

    /// <summary>The bucket.</summary>
    public string Bucket { get; }

    /// <summary>The key prefix, without leading or trailing slash.</summary>
    public string Prefix { get; }

    /// <summary>The object key of a chunk.</summary>
    public string KeyOf(string hash) => (Prefix.Length == 0 ? "" : Prefix + "/") + hash[..2] + "/" + hash;

    /// <summary>
    /// Opens a store from <c>TINYSYNC_BLOB_STORE=s3://bucket/prefix</c> and <c>TINYSYNC_S3_ENDPOINT</c> and probes
    /// the bucket; throws <see cref="InvalidOperationException"/> naming the setting to fix.
    /// </summary>
    public static async Task<S3ChunkStore> OpenAsync(S3ChunkStoreSettings settings, CancellationToken ct)
    {
        var (bucket, prefix) = S3ChunkStoreSettings.ParseLocation(settings.BlobStore);
        var config = new AmazonS3Config
        {
            MaxErrorRetry = 0,
            Timeout = TimeSpan.FromSeconds(30),
            AuthenticationRegion = settings.Region,
        };
        if (settings.Endpoint is { } endpoint)
        {
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
                throw new InvalidOperationException($"TINYSYNC_S3_ENDPOINT must be an http(s) URL such as http://127.0.0.1:9000 (got '{endpoint}')");
            config.ServiceURL = endpoint;
            config.ForcePathStyle = true; // custom endpoints (MinIO, s3rver, Ceph) rarely have wildcard DNS for bucket hosts
        }
        else
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(settings.Region);
        }
        if (settings.HttpClientFactory is { } factory) config.HttpClientFactory = factory;
        var client = settings.Credentials is { } creds ? new AmazonS3Client(creds, config) : new AmazonS3Client(config);
        var store = new S3ChunkStore(client, bucket, prefix, settings.MaxRetries);
        try
        {
            await store.ProbeAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            store.Dispose();
            throw;
        }
        return store;
    }

    /// <summary>Lists at most one key under the prefix: proves the endpoint, the bucket and the credentials.</summary>
    public async Task ProbeAsync(CancellationToken ct)
    {
        try
        {
            await _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket, Prefix = Prefix, MaxKeys = 1 }, ct).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchBucket" || e.StatusCode == HttpStatusCode.NotFound)
        {
            throw new InvalidOperationException($"TINYSYNC_BLOB_STORE: bucket '{Bucket}' does not exist at the S3 endpoint; create it or fix the bucket name", e);
        }
        catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized || e.ErrorCode is "InvalidAccessKeyId" or "SignatureDoesNotMatch" or "AccessDenied")
        {
            throw new InvalidOperationException($"TINYSYNC_BLOB_STORE: access to bucket '{Bucket}' was denied ({e.ErrorCode}); check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY and the bucket policy", e);
        }
        catch (Exception e) when (e is not OperationCanceledException && e is not InvalidOperationException)
        {
            throw new InvalidOperationException($"TINYSYNC_S3_ENDPOINT: cannot reach the S3 store for bucket '{Bucket}' ({Innermost(e)}); check the endpoint URL and that the store is running", e);
        }
    }

    /// <inheritdoc />
    public Task<bool> ExistsAsync(string hash, CancellationToken ct) => RunAsync(async token =>
    {
        try
        {
            await _s3.GetObjectMetadataAsync(Bucket, KeyOf(hash), token).ConfigureAwait(false);
            return true;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }, ct);

    /// <inheritdoc />
    public Task ProbeWriteAsync(CancellationToken ct) => RunAsync(async token =>
    {
        // one fixed key per node start is enough: an overwrite and a delete prove the store takes writes
        var key = (Prefix.Length == 0 ? "" : Prefix + "/") + "readiness-probe";
        await _s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = Bucket, Key = key, ContentBody = "1", UseChunkEncoding = false, ContentType = "text/plain",
        }, token).ConfigureAwait(false);
        await _s3.DeleteObjectAsync(Bucket, key, token).ConfigureAwait(false);
        return true;
    }, ct);

    /// <inheritdoc />
    public Task PutAsync(string hash, ReadOnlyMemory<byte> content, CancellationToken ct) => RunAsync(async token =>
    {
        using var body = new MemoryStream(content.ToArray(), writable: false);
        await _s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = Bucket,
            Key = KeyOf(hash),
            InputStream = body,
            AutoCloseStream = false,
            UseChunkEncoding = false, // s3rver (and some other stores) keep aws-chunked framing in the body otherwise
            ContentType = "application/octet-stream",
        }, token).ConfigureAwait(false);
        return true;
    }, ct);

    /// <inheritdoc />
    /// <remarks>S3 has no multi-object PUT: one PUT per chunk, a few at a time. Each is durable when S3 answers.</remarks>
    public Task PutManyAsync(IReadOnlyList<(string Hash, ReadOnlyMemory<byte> Content)> chunks, CancellationToken ct) =>
        Parallel.ForEachAsync(chunks, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct },
            async (c, token) => await PutAsync(c.Hash, c.Content, token).ConfigureAwait(false));

    /// <inheritdoc />
    public Task<byte[]?> GetAsync(string hash, CancellationToken ct) => RunAsync<byte[]?>(async token =>
    {
        GetObjectResponse response;
        try
        {
            response = await _s3.GetObjectAsync(Bucket, KeyOf(hash), token).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        using (response)
        {
            using var buffer = new MemoryStream(response.ContentLength is > 0 and < int.MaxValue ? (int)response.ContentLength : 0);
            await response.ResponseStream.CopyToAsync(buffer, token).ConfigureAwait(false);
            var bytes = buffer.ToArray();
            if (!string.Equals(Convert.ToHexStringLower(SHA256.HashData(bytes)), hash, StringComparison.Ordinal))
                throw new ChunkCorruptedException(hash);
            return bytes;
        }
    }, ct);

    /// <inheritdoc />
    public Task DeleteAsync(string hash, CancellationToken ct) => RunAsync(async token =>
    {
        await _s3.DeleteObjectAsync(Bucket, KeyOf(hash), token).ConfigureAwait(false); // absent is success in S3
        return true;
    }, ct);

    /// <inheritdoc />
    public Task QuarantineAsync(string hash, CancellationToken ct) => RunAsync(async token =>
    {
        var quarantined = (Prefix.Length == 0 ? "" : Prefix + "/") + $"quarantine/{hash}.{DateTime.UtcNow:yyyyMMddTHHmmssfffZ}";
        try
        {
            await _s3.CopyObjectAsync(Bucket, KeyOf(hash), Bucket, quarantined, token).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return true;
        }
        await _s3.DeleteObjectAsync(Bucket, KeyOf(hash), token).ConfigureAwait(false);
        return true;
    }, ct);

    async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> action, CancellationToken ct)
    {
        try
        {
            return await _retry.ExecuteAsync(async token => await action(token).ConfigureAwait(false), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (IsTransient(e) && !ct.IsCancellationRequested)
        {
            throw new ChunkStoreUnavailableException($"the S3 store did not answer after retries ({Innermost(e)})", e);
        }
    }

    /// <summary>Failures worth retrying: throttling, 5xx, timeouts and network errors.</summary>
    public static bool IsTransient(Exception e) => e switch
    {
        ChunkCorruptedException => false,
        AmazonServiceException { StatusCode: HttpStatusCode.TooManyRequests or >= HttpStatusCode.InternalServerError } => true,
        AmazonServiceException { ErrorCode: "SlowDown" or "RequestTimeout" or "InternalError" or "ServiceUnavailable" } => true,
        HttpRequestException or IOException or SocketException or TimeoutException => true,
        TaskCanceledException { InnerException: TimeoutException } => true,
        AmazonClientException { InnerException: { } inner } => IsTransient(inner),
        _ => false,
    };

    static string Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e.Message.Split('\n')[0].Trim();
    }

    /// <inheritdoc />
    public void Dispose() => _s3.Dispose();
}

/// <summary>Where the S3 chunk store lives and how to reach it.</summary>
public sealed record S3ChunkStoreSettings(string BlobStore, string? Endpoint, string Region, AWSCredentials? Credentials)
{
    /// <summary>Retries of a transient failure before giving up with 503.</summary>
    public int MaxRetries { get; init; } = 4;

    /// <summary>Replaces the HTTP client (tests inject faults here).</summary>
    public HttpClientFactory? HttpClientFactory { get; init; }

    /// <summary>Reads credentials and region from the standard AWS variables (<c>AWS_ACCESS_KEY_ID</c>, <c>AWS_SECRET_ACCESS_KEY</c>,
    /// <c>AWS_SESSION_TOKEN</c>, <c>AWS_REGION</c> / <c>AWS_DEFAULT_REGION</c>); without keys the SDK's default chain applies.</summary>
    public static S3ChunkStoreSettings From(string blobStore, string? endpoint, Func<string, string?> setting)
    {
        var region = setting("AWS_REGION") ?? setting("AWS_DEFAULT_REGION") ?? "us-east-1";
        AWSCredentials? creds = null;
        if (setting("AWS_ACCESS_KEY_ID") is { } key && setting("AWS_SECRET_ACCESS_KEY") is { } secret)
            creds = setting("AWS_SESSION_TOKEN") is { } token ? new SessionAWSCredentials(key, secret, token) : new BasicAWSCredentials(key, secret);
        return new S3ChunkStoreSettings(blobStore, endpoint, region, creds);
    }

    /// <summary>Splits <c>s3://bucket/prefix</c>; throws naming TINYSYNC_BLOB_STORE when malformed.</summary>
    public static (string Bucket, string Prefix) ParseLocation(string value)
    {
        const string scheme = "s3://";
        if (!value.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"TINYSYNC_BLOB_STORE must be empty (local chunks) or s3://bucket/prefix (got '{value}')");
        var rest = value[scheme.Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var bucket = slash < 0 ? rest : rest[..slash];
        var prefix = slash < 0 ? "" : rest[(slash + 1)..].Trim('/');
        if (bucket.Length is < 3 or > 63 || !bucket.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.'))
            throw new InvalidOperationException($"TINYSYNC_BLOB_STORE names an invalid bucket '{bucket}' (3-63 lowercase letters, digits, '-' or '.')");
        return (bucket, prefix);
    }
}

/// <summary>The chunk store is unreachable right now (retries exhausted); answered with 503 and Retry-After.</summary>
public sealed class ChunkStoreUnavailableException(string message, Exception inner) : Exception(message, inner);
