import { describeControlPlaneContract } from '../../support/control-plane-contract.ts';
import { FakeControlPlane } from '../../support/fake-control-plane.ts';

describeControlPlaneContract('in-memory fake', (portfolios) => ({ control: new FakeControlPlane(portfolios) }));
