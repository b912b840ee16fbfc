"""The properties CloudFormation accepts on each resource type we model.

CloudFormation rejects a property outside its type's set ("Encountered unsupported
property"); ignoring it would run a topology the learner did not write (a misspelt
``HealthCheckPaht`` checks ``/``). The sets are the writable properties of CloudFormation's
resource provider schemas (their ``properties`` less ``readOnlyProperties``), as cfn-lint
1.58.0 ships them for us-east-1.
"""

from __future__ import annotations

from .core import (
    AUTO_SCALING_GROUP,
    CERTIFICATE,
    CLASSIC_LOAD_BALANCER,
    EIP,
    GATEWAY_ATTACHMENT,
    INSTANCE,
    INTERNET_GATEWAY,
    LAMBDA_FUNCTION,
    LAMBDA_PERMISSION,
    LAUNCH_TEMPLATE,
    LISTENER,
    LISTENER_RULE,
    LOAD_BALANCER,
    ROUTE,
    ROUTE_TABLE,
    ROUTE_TABLE_ASSOCIATION,
    SECURITY_GROUP,
    SUBNET,
    TARGET_GROUP,
    VPC,
)


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


WRITABLE: dict[str, frozenset[str]] = {
    VPC: _names(
        "CidrBlock EnableDnsHostnames EnableDnsSupport InstanceTenancy Ipv4IpamPoolId "
        "Ipv4NetmaskLength Tags VpcEncryptionControl"
    ),
    SUBNET: _names(
        "AssignIpv6AddressOnCreation AvailabilityZone AvailabilityZoneId CidrBlock "
        "EnableDns64 EnableLniAtDeviceIndex Ipv4IpamPoolId Ipv4NetmaskLength "
        "Ipv6CidrBlock Ipv6IpamPoolId Ipv6Native Ipv6NetmaskLength MapPublicIpOnLaunch "
        "OutpostArn PrivateDnsNameOptionsOnLaunch Tags VpcId"
    ),
    SECURITY_GROUP: _names(
        "GroupDescription GroupName SecurityGroupEgress SecurityGroupIngress Tags VpcId"
    ),
    INSTANCE: _names(
        "AdditionalInfo Affinity AvailabilityZone BlockDeviceMappings CpuOptions "
        "CreditSpecification DisableApiTermination EbsOptimized ElasticGpuSpecifications "
        "ElasticInferenceAccelerators EnclaveOptions HibernationOptions HostId "
        "HostResourceGroupArn IamInstanceProfile ImageId "
        "InstanceInitiatedShutdownBehavior InstanceType Ipv6AddressCount Ipv6Addresses "
        "KernelId KeyName LaunchTemplate LicenseSpecifications MetadataOptions Monitoring "
        "NetworkInterfaces PlacementGroupName PrivateDnsNameOptions PrivateIpAddress "
        "PropagateTagsToVolumeOnCreation RamdiskId SecurityGroupIds SecurityGroups "
        "SourceDestCheck SsmAssociations SubnetId Tags Tenancy UserData Volumes"
    ),
    LOAD_BALANCER: _names(
        "EnableCapacityReservationProvisionStabilize EnablePrefixForIpv6SourceNat "
        "EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic IpAddressType "
        "Ipv4IpamPoolId LoadBalancerAttributes MinimumLoadBalancerCapacity Name Scheme "
        "SecurityGroups SubnetMappings Subnets Tags Type"
    ),
    LISTENER: _names(
        "AlpnPolicy Certificates DefaultActions ListenerAttributes LoadBalancerArn "
        "MutualAuthentication Port Protocol SslPolicy Tags"
    ),
    LISTENER_RULE: _names("Actions Conditions ListenerArn Priority Tags Transforms"),
    TARGET_GROUP: _names(
        "HealthCheckEnabled HealthCheckIntervalSeconds HealthCheckPath HealthCheckPort "
        "HealthCheckProtocol HealthCheckTimeoutSeconds HealthyThresholdCount "
        "IpAddressType Matcher Name Port Protocol ProtocolVersion Tags TargetControlPort "
        "TargetGroupAttributes TargetType Targets UnhealthyThresholdCount VpcId"
    ),
    CLASSIC_LOAD_BALANCER: _names(
        "AccessLoggingPolicy AppCookieStickinessPolicy AvailabilityZones "
        "ConnectionDrainingPolicy ConnectionSettings CrossZone HealthCheck Instances "
        "LBCookieStickinessPolicy Listeners LoadBalancerName Policies Scheme "
        "SecurityGroups Subnets Tags"
    ),
    LAMBDA_FUNCTION: _names(
        "Architectures CapacityProviderConfig Code CodeSigningConfigArn DeadLetterConfig "
        "Description DurableConfig Environment EphemeralStorage FileSystemConfigs "
        "FunctionName FunctionScalingConfig Handler ImageConfig KmsKeyArn Layers "
        "LoggingConfig MemorySize PackageType PublishToLatestPublished RecursiveLoop "
        "ReservedConcurrentExecutions Role Runtime RuntimeManagementConfig SnapStart Tags "
        "TenancyConfig Timeout TracingConfig VpcConfig"
    ),
    LAMBDA_PERMISSION: _names(
        "Action EventSourceToken FunctionName FunctionUrlAuthType InvokedViaFunctionUrl "
        "Principal PrincipalOrgID SourceAccount SourceArn"
    ),
    CERTIFICATE: _names(
        "CertificateAuthorityArn CertificateExport "
        "CertificateTransparencyLoggingPreference DomainName DomainValidationOptions Id "
        "KeyAlgorithm SubjectAlternativeNames Tags ValidationMethod"
    ),
    AUTO_SCALING_GROUP: _names(
        "AutoScalingGroupName AvailabilityZoneDistribution AvailabilityZoneIds "
        "AvailabilityZoneImpairmentPolicy AvailabilityZones CapacityRebalance "
        "CapacityReservationSpecification Context Cooldown DefaultInstanceWarmup "
        "DeletionProtection DesiredCapacity DesiredCapacityType HealthCheckGracePeriod "
        "HealthCheckType InstanceId InstanceLifecyclePolicy InstanceMaintenancePolicy "
        "LaunchConfigurationName LaunchTemplate LifecycleHookSpecificationList "
        "LoadBalancerNames MaxInstanceLifetime MaxSize MetricsCollection MinSize "
        "MixedInstancesPolicy NewInstancesProtectedFromScaleIn NotificationConfiguration "
        "NotificationConfigurations PlacementGroup ServiceLinkedRoleARN "
        "SkipZonalShiftValidation Tags TargetGroupARNs TerminationPolicies TrafficSources "
        "VPCZoneIdentifier"
    ),
    LAUNCH_TEMPLATE: _names(
        "LaunchTemplateData LaunchTemplateName TagSpecifications VersionDescription"
    ),
    EIP: _names(
        "Address Domain InstanceId IpamPoolId NetworkBorderGroup PublicIpv4Pool Tags "
        "TransferAddress"
    ),
    INTERNET_GATEWAY: _names("Tags"),
    GATEWAY_ATTACHMENT: _names("InternetGatewayId VpcId VpnGatewayId"),
    ROUTE_TABLE: _names("Tags VpcId"),
    ROUTE: _names(
        "CarrierGatewayId CoreNetworkArn DestinationCidrBlock DestinationIpv6CidrBlock "
        "DestinationPrefixListId EgressOnlyInternetGatewayId GatewayId InstanceId "
        "LocalGatewayId NatGatewayId NetworkInterfaceId OdbNetworkArn RouteTableId "
        "TransitGatewayId VpcEndpointId VpcPeeringConnectionId"
    ),
    ROUTE_TABLE_ASSOCIATION: _names("RouteTableId SubnetId"),
}
