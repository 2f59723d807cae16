import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

export interface PrivateNetworkArgs {
  project: string;
  region: string;
  names: { vpc: string; subnet: string; router: string; nat: string };
  /** Address range of the training subnet. */
  cidr: string;
  /** Adds a Cloud Router and Cloud NAT so VMs without an external IP reach the internet. */
  internet: boolean;
}

/**
 * The stack's own VPC for training runs: one subnet with Private Google Access, so a VM without an external
 * IP reaches Storage, Artifact Registry, Secret Manager and Logging. No firewall rule lets anything in (a new
 * VPC denies ingress by default); Cloud NAT only when the runs need the internet. Idle, none of it bills.
 */
export class PrivateNetwork extends pulumi.ComponentResource {
  readonly network: gcp.compute.Network;
  readonly subnet: gcp.compute.Subnetwork;
  readonly nat?: gcp.compute.RouterNat;

  constructor(name: string, args: PrivateNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:network:PrivateNetwork", name, { internet: args.internet }, opts);
    const child = { parent: this, dependsOn: opts?.dependsOn };
    this.network = new gcp.compute.Network(
      `${name}-vpc`,
      { project: args.project, name: args.names.vpc, autoCreateSubnetworks: false, description: "mlops: training runs, no external IPs" },
      child,
    );
    this.subnet = new gcp.compute.Subnetwork(
      `${name}-subnet`,
      { project: args.project, region: args.region, name: args.names.subnet, network: this.network.id, ipCidrRange: args.cidr, privateIpGoogleAccess: true },
      child,
    );
    if (args.internet) {
      const router = new gcp.compute.Router(
        `${name}-router`,
        { project: args.project, region: args.region, name: args.names.router, network: this.network.id },
        child,
      );
      this.nat = new gcp.compute.RouterNat(
        `${name}-nat`,
        {
          project: args.project,
          region: args.region,
          name: args.names.nat,
          router: router.name,
          natIpAllocateOption: "AUTO_ONLY",
          sourceSubnetworkIpRangesToNat: "LIST_OF_SUBNETWORKS",
          subnetworks: [{ name: this.subnet.id, sourceIpRangesToNats: ["ALL_IP_RANGES"] }],
          logConfig: { enable: true, filter: "ERRORS_ONLY" },
        },
        child,
      );
    }
    this.registerOutputs({ network: this.network.id, subnet: this.subnet.id });
  }
}
