"""Canvas: the built frontend on a private S3 bucket behind CloudFront (origin access control).

``config.json`` (written next to ``index.html`` at deploy time) tells the canvas where
the HTTP and WebSocket APIs are, so one build serves every stage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["CanvasConstruct"]

_PLACEHOLDER = (
    "<!doctype html><title>Orcheo</title><p>The Orcheo canvas was not built when this "
    "stack was deployed. Run <code>make canvas</code>, then deploy again "
    "(docs/deploy.md). The API is up: see <a href=config.json>config.json</a>."
)


class CanvasConstruct(Construct):
    """Bucket (no public access, TLS only) -> CloudFront (OAC, HTTPS only, SPA fallback)."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        removal_policy: RemovalPolicy,
        domain_name: str | None,
        certificate_arn: str | None,
    ) -> None:
        super().__init__(scope, id)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=removal_policy,
            auto_delete_objects=removal_policy == RemovalPolicy.DESTROY,
        )
        certificate = (
            None
            if certificate_arn is None
            else acm.Certificate.from_certificate_arn(self, "Certificate", certificate_arn)
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment="Orcheo canvas",
            default_root_object="index.html",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
                compress=True,
            ),
            # The canvas routes in the browser: unknown paths get the app, not an error.
            error_responses=[
                cloudfront.ErrorResponse(
                    http_status=status,
                    response_http_status=200,
                    response_page_path="/index.html",
                    ttl=Duration.seconds(0),
                )
                for status in (403, 404)
            ],
            domain_names=None if domain_name is None else [domain_name],
            certificate=certificate,
            # Only a custom certificate can raise the TLS floor (the default one is fixed).
            minimum_protocol_version=(
                None if certificate is None else cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021
            ),
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
        )
        self.origins = [f"https://{self.distribution.distribution_domain_name}"]
        if domain_name is not None:
            self.origins.append(f"https://{domain_name}")

    def deploy(self, site: Path | None, config: dict[str, str]) -> s3deploy.BucketDeployment:
        """Upload ``site`` (the built canvas) and ``config.json``; invalidate the cache.

        Without a build (``site`` None) a one-page placeholder says how to get one.
        """
        content = (
            s3deploy.Source.asset(str(site))
            if site is not None
            else s3deploy.Source.data("index.html", _PLACEHOLDER)
        )
        return s3deploy.BucketDeployment(
            self,
            "Deployment",
            sources=[content, s3deploy.Source.json_data("config.json", config)],
            destination_bucket=self.bucket,
            distribution=self.distribution,
            distribution_paths=["/*"],
            prune=True,
            memory_limit=512,
        )

    @property
    def url(self) -> str:
        return self.origins[-1]
