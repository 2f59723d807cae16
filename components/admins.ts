import * as pulumi from "@pulumi/pulumi";

/** An account that administers a component's resources (ci-deploy), granted on each resource. */
export interface Admin {
  /** Who, for the resource name. */
  who: string;
  member: pulumi.Input<string>;
  /** Where a grant was registered before, by the key of its resource (bucket, secret name, `repository`). */
  formerly?: Record<string, { name: string; parent: pulumi.Alias["parent"] }>;
}

/**
 * An admin grant's options: a child of the component, protected with the resource and deleted with it. A
 * teardown deletes dependents first: without deletedWith, the admin would drop its own role on the resource
 * and then be refused deleting it.
 */
export function adminOptions(
  child: pulumi.CustomResourceOptions,
  resource: pulumi.Resource,
  protect: boolean,
  admin: Admin,
  key: string,
): pulumi.CustomResourceOptions {
  const was = admin.formerly?.[key];
  return { ...child, protect, deletedWith: resource, ...(was && { aliases: [{ name: was.name, parent: was.parent }] }) };
}
